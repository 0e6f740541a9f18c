"""Shipcrowd's WooCommerce integration: order import, inventory push and webhook intake.

The public API for a host program (README, "Embedding as a library"):

    import shipcrowd_woo as woo

    with woo.connect(woo.Settings.from_env()) as services:
        ...  # services.stores, services.orders, woo.create_app(services=services)

Names are imported when first used, so that importing one part of the package (the domain,
say) does not import the web app and the database drivers with it.
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shipcrowd_woo.domain.errors import DomainError
    from shipcrowd_woo.domain.ids import CompanyId, StoreId
    from shipcrowd_woo.domain.jobs import SyncMode
    from shipcrowd_woo.domain.order import Order, OrderKey
    from shipcrowd_woo.domain.secrets import Secret
    from shipcrowd_woo.entrypoints.bootstrap import Services, connect
    from shipcrowd_woo.entrypoints.flask_app import create_app
    from shipcrowd_woo.entrypoints.settings import Settings, SettingsError

_PUBLIC = {
    "CompanyId": ("shipcrowd_woo.domain.ids", "CompanyId"),
    "DomainError": ("shipcrowd_woo.domain.errors", "DomainError"),
    "Order": ("shipcrowd_woo.domain.order", "Order"),
    "OrderKey": ("shipcrowd_woo.domain.order", "OrderKey"),
    "Secret": ("shipcrowd_woo.domain.secrets", "Secret"),
    "Services": ("shipcrowd_woo.entrypoints.bootstrap", "Services"),
    "Settings": ("shipcrowd_woo.entrypoints.settings", "Settings"),
    "SettingsError": ("shipcrowd_woo.entrypoints.settings", "SettingsError"),
    "StoreId": ("shipcrowd_woo.domain.ids", "StoreId"),
    "SyncMode": ("shipcrowd_woo.domain.jobs", "SyncMode"),
    "connect": ("shipcrowd_woo.entrypoints.bootstrap", "connect"),
    "create_app": ("shipcrowd_woo.entrypoints.flask_app", "create_app"),
}
__all__ = [
    "CompanyId",
    "DomainError",
    "Order",
    "OrderKey",
    "Secret",
    "Services",
    "Settings",
    "SettingsError",
    "StoreId",
    "SyncMode",
    "connect",
    "create_app",
]


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _PUBLIC[name]
    except KeyError:
        raise AttributeError(f"module 'shipcrowd_woo' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
