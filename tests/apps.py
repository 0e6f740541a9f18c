"""The Flask app over a real SQLite file, real AES-GCM secrets and the in-process broker, with
stores answered by the fake store client over the sandbox's data; requests through Flask's
test client with real JWTs."""

import json
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import dramatiq
import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from shipcrowd_woo.adapters.crypto import generate_key_text, parse_encryption_keys
from shipcrowd_woo.adapters.dramatiq.broker import QUEUE
from shipcrowd_woo.entrypoints.bootstrap import Services, bootstrap
from shipcrowd_woo.entrypoints.flask_app import create_app
from shipcrowd_woo.entrypoints.settings import Settings
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.databases import sqlite_url
from tests.fake_store import FakeStoreClientFactory
from tests.leaks import WATCH

JWT_SECRET = "test-jwt-secret-that-is-long-enough-for-hs256"
STORE_URL = "https://shop.example.com"
COMPANY = "company-a"
OTHER_COMPANY = "company-b"


def token(company: str = COMPANY, role: str = "admin", **claims: Any) -> str:
    """A valid HS256 token for the company and role (claims override)."""
    payload = {
        "company_id": company,
        "role": role,
        "sub": f"user@{company}",
        "exp": datetime.now(UTC) + timedelta(hours=1),
    }
    payload.update(claims)
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, JWT_SECRET, "HS256")


def bearer(company: str = COMPANY, role: str = "admin") -> dict[str, str]:
    """The Authorization header for the company and role."""
    return {"Authorization": f"Bearer {token(company, role)}"}


def install_over_http(
    client: FlaskClient, store: SandboxStore, url: str, company: str = COMPANY
) -> dict[str, Any]:
    """Install the sandbox store at `url` through the API with a new key of its own; the
    answer (201 asserted)."""
    key, secret = store.create_api_key()
    installed = client.post(
        "/integrations/woocommerce/install",
        json={"store_url": url, "consumer_key": key, "consumer_secret": secret},
        headers=bearer(company),
    )
    assert installed.status_code == 201, installed.get_json()
    answer: dict[str, Any] = installed.get_json()
    return answer


@attrs.define
class Api:
    """The app, its services, and the store it talks to."""

    app: Flask
    services: Services
    stores: FakeStoreClientFactory
    sandbox: SandboxStore
    key: str
    secret: str
    worker: dramatiq.Worker | None = None

    @property
    def client(self) -> FlaskClient:
        return self.app.test_client()

    def call(
        self,
        method: str,
        path: str,
        company: str = COMPANY,
        role: str = "admin",
        **options: Any,
    ) -> Any:
        """A management request as the company's user."""
        headers = {**bearer(company, role), **options.pop("headers", {})}
        response = self.client.open(
            f"/integrations/woocommerce{path}", method=method, headers=headers, **options
        )
        WATCH.search(_without_shown_secret(response), f"answer to {method} {path}")
        return response

    def install(
        self,
        company: str = COMPANY,
        url: str = STORE_URL,
        credentials: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        """Install the store through the API; its JSON view."""
        key, secret = credentials or (self.key, self.secret)
        response = self.call(
            "POST",
            "/install",
            company,
            json={"store_url": url, "consumer_key": key, "consumer_secret": secret},
        )
        assert response.status_code == 201, response.get_json()
        store: dict[str, Any] = response.get_json()["store"]
        return store

    def drain(self) -> None:
        """Run every queued job to its end (worker threads, joined on the queue's emptying)."""
        if self.worker is None:
            self.worker = self.services.start_worker(threads=2)
        self.services.broker.join(QUEUE)
        self.worker.join()

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        self.services.close()


def _without_shown_secret(response: Any) -> str:
    """The answer's text, less the one secret a subscription's creation or rotation shows
    on purpose (it is searched for everywhere else)."""
    body = response.get_json(silent=True)
    if isinstance(body, dict) and "secret" in body and "subscription" in body:
        return json.dumps({**body, "secret": None})
    return str(response.get_data(as_text=True))


def api_settings(database: Path, **changes: Any) -> Settings:
    defaults: dict[str, Any] = {
        "database_url": sqlite_url(database),
        "encryption_keys": tuple(parse_encryption_keys(generate_key_text("k1"))),
        "public_base_url": "https://shipcrowd.example",
        "jwt_secret": JWT_SECRET,
        "rate_limit": "10000 per minute",
        "max_body_bytes": 64 * 1024,
        "max_webhook_bytes": 256 * 1024,
        "job_min_backoff": timedelta(milliseconds=10),
        "stock_push_window": timedelta(milliseconds=50),
    }
    return Settings(**(defaults | changes))


def make_api(
    template: Path,
    directory: Path,
    clients: Callable[[FakeStoreClientFactory], Any] | None = None,
    **changes: Any,
) -> Api:
    """The app over a copy of the migrated database; `clients` wraps the store clients."""
    database = directory / "api.sqlite3"
    shutil.copy(template, database)
    sandbox = SandboxStore(seed=7, products=12, orders=60)
    stores = FakeStoreClientFactory()
    key, secret = stores.add(STORE_URL, sandbox)
    services = bootstrap(
        api_settings(database, **changes), store_clients=clients(stores) if clients else stores
    )
    app = create_app(services=services, background=False)
    return Api(app, services, stores, sandbox, key, secret)


@pytest.fixture
def api(migrated_sqlite_template: Path, tmp_path: Path) -> Iterator[Api]:
    built = make_api(migrated_sqlite_template, tmp_path)
    yield built
    built.close()


@pytest.fixture
def installed(api: Api) -> dict[str, Any]:
    """The store, installed by COMPANY."""
    return api.install()


@pytest.fixture
def recorded(api: Api) -> Any:
    """The store the recorded deliveries came from, installed by COMPANY."""
    from tests.api.recorded_webhooks import install_recording_store

    return install_recording_store(api)
