"""The management API under /integrations/woocommerce, for other Shipcrowd services.

Every route acts for the company of the bearer token: another company's store, mapping or
job is 404, never 403. Install, disconnect, credentials and webhook registration need the
admin role. The stores, syncs, jobs, logs and fulfilments are here; the product mappings and
stock levels in catalogue_routes.py, on the same blueprint.
"""

from collections.abc import Callable

from flask import Blueprint, Response, jsonify, request

from shipcrowd_woo.domain.errors import (
    InvalidResponse,
    OrderNotFound,
    StoreUnavailable,
    ValidationFailed,
)
from shipcrowd_woo.domain.ids import LARGEST_WOO_ID, CompanyId, JobId, StoreId
from shipcrowd_woo.domain.jobs import (
    AutoMapProducts,
    CheckWebhooks,
    Job,
    PushInventory,
    ReconcileOrders,
    SyncOrders,
)
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.sync_log import SyncType
from shipcrowd_woo.entrypoints.api import catalogue_routes, feed_routes, subscription_routes
from shipcrowd_woo.entrypoints.api.handling import body_of, page_request
from shipcrowd_woo.entrypoints.api.problems import ApiProblem, invalid
from shipcrowd_woo.entrypoints.api.requests import (
    MAX_SKUS,
    CredentialsRequest,
    FulfilmentBody,
    InstallRequest,
    InventoryRequest,
    SettingsRequest,
    SyncOrdersRequest,
)
from shipcrowd_woo.entrypoints.api.state import MANAGEMENT_PREFIX, admin, principal, state
from shipcrowd_woo.entrypoints.api.views import (
    fulfilment_accepted_view,
    fulfilment_list_view,
    installation_view,
    job_view,
    log_view,
    page_view,
    stats_view,
    status_view,
    store_view,
    webhook_report_view,
)
from shipcrowd_woo.log_context import bound
from shipcrowd_woo.services.sync_logs import sync_log_page, sync_stats

blueprint = Blueprint("management", __name__, url_prefix=MANAGEMENT_PREFIX)


def _store_answer(store: Store) -> Response:
    """A store as the API shows it (its credentials masked)."""
    return jsonify(store_view(store, state().services.context.secrets))


@blueprint.post("/install")
def install() -> tuple[Response, int]:
    """Connect a store: test the credentials, keep them sealed, register the webhooks."""
    caller = admin()
    body: InstallRequest = body_of(InstallRequest)
    services = state().services
    try:
        result = services.stores.install(
            caller.company_id,
            body.store_url,
            Secret(body.consumer_key),
            Secret(body.consumer_secret),
            body.name,
        )
    except (StoreUnavailable, InvalidResponse) as error:
        # Nothing is connected yet: the address given is what does not answer.
        raise ApiProblem(
            422,
            "store-unreachable",
            "No WooCommerce store answered at this address",
            error.detail,
        ) from None
    return jsonify(installation_view(result, services.context.secrets)), 201


@blueprint.get("/stores")
def list_stores() -> Response:
    """The company's stores, newest first."""
    services = state().services
    page = services.stores.list(principal().company_id, page_request())
    return jsonify(page_view(page, lambda s: store_view(s, services.context.secrets)))


@blueprint.get("/stores/<store_id>")
def get_store(store_id: str) -> Response:
    """One store."""
    return _store_answer(state().services.stores.get(principal().company_id, StoreId(store_id)))


@blueprint.post("/stores/<store_id>/test")
def test_store(store_id: str) -> Response:
    """Call the store's system status with the stored credentials."""
    status = state().services.stores.test_connection(principal().company_id, StoreId(store_id))
    return jsonify(status_view(status))


@blueprint.delete("/stores/<store_id>")
def disconnect(store_id: str) -> Response:
    """Remove our webhooks at the store and deactivate it; history is kept."""
    return _store_answer(state().services.stores.disconnect(admin().company_id, StoreId(store_id)))


@blueprint.post("/stores/<store_id>/pause")
def pause(store_id: str) -> Response:
    """Stop syncing the store."""
    return _store_answer(state().services.stores.pause(principal().company_id, StoreId(store_id)))


@blueprint.post("/stores/<store_id>/resume")
def resume(store_id: str) -> Response:
    """Sync the store again."""
    return _store_answer(state().services.stores.resume(principal().company_id, StoreId(store_id)))


@blueprint.put("/stores/<store_id>/credentials")
def credentials(store_id: str) -> Response:
    """Replace the credentials after testing the new ones."""
    caller = admin()
    body: CredentialsRequest = body_of(CredentialsRequest)
    store = state().services.stores.refresh_credentials(
        caller.company_id,
        StoreId(store_id),
        Secret(body.consumer_key),
        Secret(body.consumer_secret),
    )
    return _store_answer(store)


@blueprint.patch("/stores/<store_id>/settings")
def settings(store_id: str) -> Response:
    """Change how the store is synced and fulfilled; what the body does not name stays."""
    caller = admin()
    body: SettingsRequest = body_of(SettingsRequest)
    change = body.change()
    return _store_answer(
        state().services.stores.change_settings(caller.company_id, StoreId(store_id), change)
    )


@blueprint.post("/stores/<store_id>/webhooks/register")
def register_webhooks(store_id: str) -> Response:
    """Make the store's webhooks complete and active (idempotent)."""
    report = state().services.stores.register_webhooks(admin().company_id, StoreId(store_id))
    return jsonify(webhook_report_view(report))


@blueprint.post("/stores/<store_id>/webhooks/check")
def check_webhooks(store_id: str) -> tuple[Response, int]:
    """Queue a webhook health check: repair, record the health, import what was missed."""
    return _queue_for_store(store_id, CheckWebhooks)


@blueprint.post("/stores/<store_id>/sync/reconcile")
def reconcile_orders(store_id: str) -> tuple[Response, int]:
    """Queue a deletion reconciliation (orders deleted at the store send no webhook)."""
    return _queue_for_store(store_id, ReconcileOrders)


def _queue_for_store(
    store_id: str, job: Callable[[CompanyId, StoreId], Job]
) -> tuple[Response, int]:
    """Queue a job on one of the caller's stores (404 for another's); 202 with the job."""
    company = principal().company_id
    with bound(company_id=company, store_id=store_id):
        record = state().services.jobs.submit(company, job(company, StoreId(store_id)))
    return jsonify(job_view(record)), 202


@blueprint.post("/stores/<store_id>/sync/orders")
def sync_orders(store_id: str) -> tuple[Response, int]:
    """Queue an order import; 202 with the job to follow."""
    body: SyncOrdersRequest = body_of(SyncOrdersRequest)
    return _queue_for_store(
        store_id, lambda company, store: SyncOrders(company, store, body.mode, body.order_id)
    )


@blueprint.post("/stores/<store_id>/sync/inventory")
def sync_inventory(store_id: str) -> tuple[Response, int]:
    """Queue an inventory push of all mapped SKUs, or of those given."""
    body: InventoryRequest = body_of(InventoryRequest)
    if len(body.skus) > MAX_SKUS:
        raise ValidationFailed({"skus": f"at most {MAX_SKUS} SKUs a request"})
    return _queue_for_store(
        store_id, lambda company, store: PushInventory(company, store, tuple(body.skus))
    )


# Any number outside 1..LARGEST_WOO_ID names no order we hold: 404 (werkzeug would answer
# 405 for a bounded converter's miss).
ORDER_ID = "<int:order_id>"


def _order_id(order_id: int) -> int:
    if not 1 <= order_id <= LARGEST_WOO_ID:
        raise OrderNotFound(f"order {order_id}")
    return order_id


@blueprint.post(f"/stores/<store_id>/orders/{ORDER_ID}/fulfillments")
def fulfil(store_id: str, order_id: int) -> tuple[Response, int]:
    """Tell the store an order (or part of it) shipped: 202 with the fulfilment and its job;
    the same fulfilment sent again answers with the first (200 once it is done)."""
    order = _order_id(order_id)
    body: FulfilmentBody = body_of(FulfilmentBody)
    company = principal().company_id
    with bound(company_id=company, store_id=store_id):
        submitted = state().services.fulfilments.submit(
            company, StoreId(store_id), order, body.request()
        )
    answer = fulfilment_accepted_view(submitted.fulfilment, submitted.job)
    return jsonify(answer), 200 if submitted.job.is_final else 202


@blueprint.get(f"/stores/<store_id>/orders/{ORDER_ID}/fulfillments")
def fulfilments(store_id: str, order_id: int) -> Response:
    """The order's fulfilments, oldest first."""
    found = state().services.fulfilments.for_order(
        principal().company_id, StoreId(store_id), _order_id(order_id)
    )
    return jsonify(fulfilment_list_view(found))


@blueprint.get("/sync/jobs/<job_id>")
def job_status(job_id: str) -> Response:
    """queued, running, completed or failed, with the counts of the run."""
    return jsonify(job_view(state().services.jobs.status(principal().company_id, JobId(job_id))))


@blueprint.get("/stores/<store_id>/sync/logs")
def sync_logs(store_id: str) -> Response:
    """The store's sync logs, newest first, optionally of one type."""
    page = sync_log_page(
        state().services.context.reads,
        principal().company_id,
        StoreId(store_id),
        _sync_type(),
        page_request(),
    )
    return jsonify(page_view(page, log_view))


@blueprint.get("/stores/<store_id>/sync/stats")
def sync_statistics(store_id: str) -> Response:
    """Runs by status, success rates and average duration."""
    stats = sync_stats(
        state().services.context.reads, principal().company_id, StoreId(store_id), _sync_type()
    )
    return jsonify(stats_view(stats))


@blueprint.post("/stores/<store_id>/mappings/auto")
def auto_map(store_id: str) -> tuple[Response, int]:
    """Queue automatic mapping of the store's catalogue by SKU."""
    return _queue_for_store(store_id, AutoMapProducts)


def _sync_type() -> SyncType | None:
    raw = request.args.get("type")
    if raw in (None, ""):
        return None
    try:
        return SyncType(raw)
    except ValueError:
        allowed = ", ".join(t.value for t in SyncType)
        raise invalid([{"field": "type", "message": f"must be one of {allowed}"}]) from None


# The mapping, stock, order and feed routes live beside these, on the same blueprint.
catalogue_routes.register(blueprint)
feed_routes.register(blueprint)
subscription_routes.register(blueprint)
