"""The StoreClient's fulfilment calls: against the sandbox over real HTTP (OAuth 1.0a) and
against the responses recorded from a real WooCommerce 10.0.2 (fulfilment_*.json)."""

from collections.abc import Iterator

import httpx
import pytest

from shipcrowd_woo.adapters.woocommerce.client import ClientOptions, HttpxStoreClient
from shipcrowd_woo.adapters.woocommerce.transport import TransportOptions
from shipcrowd_woo.domain.errors import StoreResourceNotFound
from shipcrowd_woo.domain.fulfilment import OrderNote, TrackedOrder, TrackingItem
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.sandbox.server import SandboxServer
from shipcrowd_woo.sandbox.store import SandboxStore
from tests.fixtures import recorded
from tests.recorded_store import recorded_store_handler
from tests.sandboxes import client_for

RECORDED_ITEM = TrackingItem(
    tracking_provider="",
    custom_tracking_provider="PPL",
    custom_tracking_link="https://www.ppl.cz/vyhledat-zasilku?shipmentId=123456789",
    tracking_number="123456789",
    date_shipped="1796180481",
    tracking_id="5d3e6a1b0c2f4e8a9b7c6d5e4f3a2b1c",
)
NOTE = recorded("fulfilment_order_note_to_customer")["request"]["body"]["note"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxStore(seed=21, products=10, orders=40)) as server:
        yield server


@pytest.fixture
def sandbox_client(sandbox) -> Iterator[HttpxStoreClient]:
    key, secret = sandbox.store.create_api_key()
    with client_for(sandbox, key, secret) as client:
        yield client


@pytest.fixture
def recorded_client() -> Iterator[HttpxStoreClient]:
    with HttpxStoreClient(
        "http://127.0.0.1:8089",
        Secret("ck_recorded"),
        Secret("cs_recorded"),
        ClientOptions(transport=TransportOptions(max_in_flight=1)),
        transport=httpx.MockTransport(recorded_store_handler),
    ) as client:
        yield client


def _processing(store: SandboxStore) -> int:
    return next(i for i, o in sorted(store.orders.items()) if o["status"] == "processing")


def test_the_recorded_tracking_save_reads_back_as_the_item_sent(recorded_client):
    """PUT orders/39 with the meta and status (recorded): the order comes back completed,
    carrying the extension's item exactly as sent."""
    saved = recorded_client.save_order_tracking(39, [RECORDED_ITEM], "completed")
    assert saved == TrackedOrder(39, "completed", (RECORDED_ITEM,))
    assert recorded_client.order_tracking(39) == saved


def test_the_recorded_customer_note_and_the_notes_list(recorded_client):
    """POST orders/39/notes answers 201 with the note; the list carries the status change's
    own system note too (fulfilment_order_notes_list.json)."""
    note = recorded_client.add_order_note(39, NOTE, customer_note=True)
    assert note == OrderNote(373, NOTE, True)
    notes = recorded_client.order_notes(39)
    assert note in notes
    assert OrderNote(372, "Order status changed from Processing to Completed.", False) in notes


def test_the_extensions_route_is_absent_without_the_extension(
    recorded_client, sandbox_client, sandbox
):
    """Without the extension its route is 404 rest_no_route (recorded), in the sandbox too."""
    for client, order_id in ((recorded_client, 39), (sandbox_client, _processing(sandbox.store))):
        with pytest.raises(StoreResourceNotFound, match="rest_no_route"):
            client.add_shipment_tracking(order_id, RECORDED_ITEM)


def test_the_sandbox_keeps_the_meta_other_items_and_the_notes_as_woocommerce_does(
    sandbox_client, sandbox
):
    order_id = _processing(sandbox.store)
    theirs = TrackingItem(tracking_provider="usps", tracking_number="9400", tracking_id="ab")
    first = sandbox_client.save_order_tracking(order_id, [theirs], None)
    assert first == TrackedOrder(order_id, "processing", (theirs,))
    saved = sandbox_client.save_order_tracking(order_id, [theirs, RECORDED_ITEM], "completed")
    assert saved == TrackedOrder(order_id, "completed", (theirs, RECORDED_ITEM))
    assert sandbox_client.order_tracking(order_id) == saved
    # One meta entry, replaced by key, as WC_Data::update_meta_data does.
    meta = sandbox.store.orders[order_id]["meta_data"]
    assert [m["key"] for m in meta] == ["_wc_shipment_tracking_items"]
    note = sandbox_client.add_order_note(order_id, NOTE, customer_note=True)
    notes = sandbox_client.order_notes(order_id)
    assert notes[0].note == "Order status changed from Processing to Completed."
    assert note in notes
    assert note.customer_note


def test_the_sandbox_completes_a_cancelled_order_when_asked_as_woocommerce_does(
    sandbox_client, sandbox
):
    """Recorded: fulfilment_cancelled_order_put_completed.json answers 200 completed."""
    assert recorded("fulfilment_cancelled_order_put_completed")["body"]["status"] == "completed"
    order_id = next(
        i for i, o in sorted(sandbox.store.orders.items()) if o["status"] == "cancelled"
    )
    assert sandbox_client.save_order_tracking(order_id, [], "completed").status == "completed"


def test_with_the_extension_its_route_adds_an_item_with_its_own_id(sandbox_client, sandbox):
    """woocommerce.com's Shipment Tracking REST API: POST {tracking_number, custom_tracking_
    provider, custom_tracking_link, date_shipped YYYY-MM-DD} -> 201 with its tracking_id."""
    sandbox.store.install_shipment_tracking()
    try:
        order_id = _processing(sandbox.store)
        added = sandbox_client.add_shipment_tracking(order_id, RECORDED_ITEM)
        assert (added.tracking_number, added.carrier) == ("123456789", "PPL")
        assert added.tracking_id
        assert added.tracking_id != RECORDED_ITEM.tracking_id
        assert added.date_shipped == "2026-12-02"
        (kept,) = sandbox_client.order_tracking(order_id).tracking
        assert kept.tracking_id == added.tracking_id
        assert kept.date_shipped == str(
            1796180481 // 86400 * 86400
        )  # the extension keeps the day, as unix seconds
    finally:
        sandbox.store.rest_namespaces.remove("wc-shipment-tracking/v3")
