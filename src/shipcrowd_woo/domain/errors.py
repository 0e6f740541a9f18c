"""Typed errors raised by the core and by the ports on its behalf.

Adapters translate library exceptions (httpx, SQLAlchemy, …) into these, so services never see
infrastructure types. No error carries a secret: store errors name the store URL only.
"""

from datetime import timedelta
from typing import Any


class DomainError(Exception):
    """Base of every error the core raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled by its message and attributes, not by calling its constructor again: most
        # constructors take other arguments than the message (an import's page may fail in
        # another process, and its error is raised in the importing one).
        return (_unpickled, (type(self), self.args, self.__dict__))


def _unpickled(kind: type[DomainError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = kind.__new__(kind)
    error.args = args
    error.__dict__.update(state)
    return error


class InvalidTransition(DomainError):
    """A state machine (sync log, mapping, store) was asked for a move it does not allow."""


class NotFound(DomainError):
    """A resource does not exist for this company (other companies' resources included)."""


class StoreNotFound(NotFound):
    """No store with this id belongs to the company."""


class OrderNotFound(NotFound):
    """No order with this key is known."""


class MappingNotFound(NotFound):
    """No product mapping with this id belongs to the company."""


class JobNotFound(NotFound):
    """No job with this id belongs to the company."""


class FulfilmentNotFound(NotFound):
    """No fulfilment with this id belongs to the company."""


class StoreBusy(DomainError):
    """Another run of the same kind holds the store (its lock is shared by every worker);
    the work is to be tried again once that run ends, not dropped."""


class AlreadyExists(DomainError):
    """The resource would break a uniqueness rule (same store URL, same mapping target…)."""


class StoreClientError(DomainError):
    """Talking to a WooCommerce store failed; carries the store URL, never a credential."""

    def __init__(self, store_url: str, detail: str) -> None:
        super().__init__(f"{store_url}: {detail}")
        self.store_url = store_url
        self.detail = detail


class AuthenticationFailed(StoreClientError):
    """The store rejected the consumer key/secret (HTTP 401)."""


class PermissionDenied(StoreClientError):
    """The key lacks the permission the call needs (read/write)."""


class StoreResourceNotFound(StoreClientError):
    """The store answered 404 for the resource asked for."""


class RateLimited(StoreClientError):
    """The store or its host throttled us; `retry_after` says how long it asked us to wait."""

    def __init__(self, store_url: str, detail: str, retry_after: timedelta | None) -> None:
        super().__init__(store_url, detail)
        self.retry_after = retry_after


class RequestRejected(StoreClientError):
    """The store refused the request as malformed or too large (a 4xx other than the above);
    `code` is WooCommerce's error code, e.g. `woocommerce_rest_request_entity_too_large`."""

    def __init__(self, store_url: str, detail: str, code: str = "", status: int = 0) -> None:
        super().__init__(store_url, detail)
        self.code = code
        self.status = status


class StoreUnavailable(StoreClientError):
    """The store could not be reached or answered 5xx after the allowed retries."""


class InvalidResponse(StoreClientError):
    """The store answered something that is not the JSON shape WooCommerce sends."""


class NotWooCommerce(StoreClientError):
    """The address answers, but not as a WordPress site serving WooCommerce's REST API (or
    its REST API is disabled); `detail` says which."""


class ValidationFailed(DomainError):
    """Input from a person or a file is not acceptable; `problems` lists every reason."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in problems.items()))
        self.problems = problems


class SecretsUnavailable(DomainError):
    """A stored secret cannot be opened: its key is not configured, or it was tampered with."""


class UnsafeStoreUrl(DomainError):
    """The store URL points at a host we refuse to call (loopback, private, metadata…)."""


class CursorExpired(DomainError):
    """The events after this cursor are gone (older than the feed's retention): reading
    on from it would skip them. `restart_after` is where the kept events start."""

    def __init__(self, after: int, restart_after: int) -> None:
        super().__init__(
            f"events after {after} were purged (older than the feed's retention): restart "
            f"from after={restart_after} and read the orders again to catch up"
        )
        self.after = after
        self.restart_after = restart_after
