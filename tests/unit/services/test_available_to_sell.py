"""Available to sell across stores (issue 32), on fakes: two stores of one company sell the
same catalogue from one warehouse; each is offered on hand less what the open orders of both
still have to ship, and a sale, a cancellation or a change of limits at one moves the others
by itself, through the coalesced auto-push."""

from datetime import timedelta

import attrs
import pytest

from shipcrowd_woo.domain.jobs import PushStockChanges, SyncMode
from shipcrowd_woo.domain.mapping_rules import StockDirection
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.store_settings import SettingsChange
from shipcrowd_woo.domain.woo_catalog import WooProduct
from shipcrowd_woo.sandbox.store import SandboxStore
from shipcrowd_woo.services.auto_push import AutoPush
from shipcrowd_woo.services.inventory import StockLevel
from shipcrowd_woo.services.job_runner import JobRunner, UseCases, use_cases
from shipcrowd_woo.services.jobs import JobService
from shipcrowd_woo.services.product_changes import ProductMappings, apply_product
from shipcrowd_woo.services.reservations import reserved_units
from shipcrowd_woo.services.stores import StoreService
from tests.fake_store import FakeScheduleGuard, FakeTaskQueue
from tests.unit.services.conftest import COMPANY

SECOND_URL = "https://second-shop.example.com"
WINDOW = timedelta(seconds=5)
ON_HAND = 50


@attrs.define
class Shops:
    """Two stores of COMPANY, their sandboxes, and the services that push their stock."""

    world: object
    first: object
    second: object
    second_sandbox: SandboxStore
    queue: FakeTaskQueue
    run: UseCases
    runner: JobRunner

    def pump(self) -> list[PushStockChanges]:
        """One push window passes and a worker runs every push sent; the pushes run."""
        self.world.clock.advance(seconds=WINDOW.total_seconds())
        sent, self.queue.sent = self.queue.sent, []
        pushes = [job for _, job, _ in sent if isinstance(job, PushStockChanges)]
        for job_id, job, _ in sent:
            if isinstance(job, PushStockChanges):
                self.runner.run(job_id, job)
        return pushes

    def offered_at_second(self) -> dict[str, int]:
        """The stock the second store shows of each simple product's SKU."""
        return {
            product["sku"]: product["stock_quantity"]
            for product in self.second_sandbox.products.values()
            if product["type"] == "simple"
        }

    def skus_of(self, order_id: int) -> dict[str, int]:
        """The units of each SKU an order of the first store holds."""
        order = self.world.sandbox.orders[order_id]
        units: dict[str, int] = {}
        with self.world.uow() as uow:
            mappings = uow.mappings.for_store(COMPANY, self.first.id)
        sku_of = {m.target: m.shipcrowd_sku for m in mappings}
        for line in order["line_items"]:
            sku = sku_of[(line["product_id"], line["variation_id"] or None)]
            units[sku] = units.get(sku, 0) + line["quantity"]
        return units


@pytest.fixture
def shops(world) -> Shops:
    second_sandbox = SandboxStore(seed=3, products=20, orders=0, clock=world.clock.now)
    key, secret = world.stores.add(SECOND_URL, second_sandbox)
    first = world.install()
    second = (
        StoreService(world.context).install(COMPANY, SECOND_URL, Secret(key), Secret(secret)).store
    )
    queue = FakeTaskQueue()
    guard = FakeScheduleGuard(world.clock.now)
    jobs = JobService(world.context, queue)
    auto_push = AutoPush(world.context, jobs, guard, WINDOW)
    run = use_cases(world.context, jobs, guard, auto_push)
    # As the composition root wires it: a commit that noted stock changes schedules pushes.
    world.database.stock_noted = auto_push.schedule_noted
    skus = {p["sku"] for p in world.sandbox.products.values() if p["sku"]}
    run.inventory.set_stock(COMPANY, [StockLevel(sku, ON_HAND) for sku in sorted(skus)])
    run.mappings.auto_map(COMPANY, first.id)
    run.mappings.auto_map(COMPANY, second.id)
    run.orders.run(COMPANY, first.id, SyncMode.FULL)
    run.inventory.push(COMPANY, second.id)
    shops = Shops(world, first, second, second_sandbox, queue, run, JobRunner(world.context, run))
    shops.pump()
    return shops


def _sold(world, status: str = "processing") -> int:
    (order_id,) = world.sandbox.add_random_orders(1)
    world.sandbox.update_order(order_id, status=status)
    return order_id


def test_each_store_is_offered_on_hand_less_what_every_open_order_still_has_to_ship(shops):
    """The first store's imported open orders hold their units at the second store too."""
    with shops.world.uow() as uow:
        reserved = reserved_units(uow, COMPANY, list(shops.offered_at_second()))
    assert any(reserved.values())
    assert shops.offered_at_second() == {
        sku: max(0, ON_HAND - reserved.get(sku, 0)) for sku in shops.offered_at_second()
    }


def test_a_sale_at_one_store_reaches_the_other_within_one_push_window(shops):
    """Imported at the first store, the order lowers the second store's level of each SKU by
    exactly its units, in the next push window, without anyone pushing by hand."""
    before = shops.offered_at_second()
    order_id = _sold(shops.world)
    shops.run.orders.run(COMPANY, shops.first.id, SyncMode.SINGLE, order_id)
    pushes = shops.pump()
    assert PushStockChanges(COMPANY, shops.second.id) in pushes
    after = shops.offered_at_second()
    sold = shops.skus_of(order_id)
    for sku, level in before.items():
        assert after[sku] == max(0, level - sold.get(sku, 0)), sku


def test_cancelling_an_order_restores_exactly_what_it_reserved(shops):
    """The sale, then its cancellation at the store: the second store is back where it was."""
    before = shops.offered_at_second()
    order_id = _sold(shops.world)
    shops.run.orders.run(COMPANY, shops.first.id, SyncMode.SINGLE, order_id)
    shops.pump()
    assert shops.offered_at_second() != before
    shops.world.sandbox.update_order(order_id, status="cancelled")
    shops.run.orders.run(COMPANY, shops.first.id, SyncMode.SINGLE, order_id)
    shops.pump()
    assert shops.offered_at_second() == before


def test_an_order_that_changes_nothing_a_store_is_offered_pushes_nothing(shops):
    """A new customer note moves no reservation: no push is sent."""
    order_id = next(
        key.source_id
        for key, state in shops.world.database.feed_states.items()
        if state.shippable.value == "ship"
    )
    shops.world.sandbox.update_order(order_id, customer_note="leave it at the door")
    shops.run.orders.run(COMPANY, shops.first.id, SyncMode.SINGLE, order_id)
    assert shops.pump() == []


def test_a_store_is_offered_the_stock_of_the_warehouses_it_draws_from(shops):
    """Multi-location: the second store draws from "north" only; stock elsewhere is not
    offered to it, and a report from elsewhere leaves its levels as they were."""
    skus = sorted(shops.offered_at_second())
    shops.run.inventory.set_stock(COMPANY, [StockLevel(sku, 7, warehouse="north") for sku in skus])
    StoreService(shops.world.context).change_settings(
        COMPANY, shops.second.id, SettingsChange(inventory_sync_warehouses=["north"])
    )
    shops.pump()
    with shops.world.uow() as uow:
        reserved = reserved_units(uow, COMPANY, skus)
    drawn = {sku: max(0, 7 - reserved.get(sku, 0)) for sku in skus}
    assert shops.offered_at_second() == drawn
    shops.run.inventory.set_stock(COMPANY, [StockLevel(sku, 90) for sku in skus])
    shops.pump()
    assert shops.offered_at_second() == drawn


def _simple_mapping(shops, store):
    with shops.world.uow() as uow:
        mappings = uow.mappings.for_store(COMPANY, store.id)
    return next(m for m in mappings if m.woo_variation_id is None)


def _delivered(shops, store, mapping, level):
    """A product.updated delivery of the mapping's product at `level`, as the webhook
    processor applies it (one transaction)."""
    product = WooProduct(
        mapping.woo_product_id, sku=mapping.woo_sku, name=mapping.woo_title, manage_stock=True
    )
    product = attrs.evolve(product, stock_quantity=level)
    with shops.world.uow() as uow:
        mappings = ProductMappings(uow, store, [product.id])
        effect = apply_product(shops.world.context, store, product, mappings)
        uow.commit()
    return effect


def test_a_store_that_counts_a_sku_gives_its_level_to_the_warehouse_and_the_other_stores(shops):
    """Store → warehouse: the first store's level (its open orders' units added back, which
    WooCommerce already took off) becomes the SKU's stock; the second store is pushed it."""
    mapping = _simple_mapping(shops, shops.first)
    sku = mapping.shipcrowd_sku
    shops.run.mappings.change_stock(
        COMPANY, mapping.id, direction=StockDirection.STORE_TO_WAREHOUSE
    )
    effect = _delivered(shops, shops.first, mapping, 12)
    with shops.world.uow() as uow:
        held = reserved_units(uow, COMPANY, [sku], only=shops.first.id).get(sku, 0)
        everyone = reserved_units(uow, COMPANY, [sku]).get(sku, 0)
        assert uow.warehouse.quantities(COMPANY, [sku]) == {sku: 12 + held}
    assert "adopted" in effect
    shops.pump()
    assert shops.offered_at_second()[sku] == max(0, 12 + held - everyone)
    # Never pushed back to the store that counts it.
    pushed = shops.run.inventory.push(COMPANY, shops.first.id, [sku])
    assert pushed.log is not None
    assert (pushed.log.synced, pushed.log.skipped) == (0, 1)


def test_an_edit_at_the_store_of_a_warehouse_sku_is_logged_and_pushed_back(shops, caplog):
    """Warehouse → store: the second store shows 5 more than it should (a wp-admin edit):
    the drift is logged and the next push window sets it back; our own push's echo is an
    echo."""
    mapping = _simple_mapping(shops, shops.second)
    sku = mapping.shipcrowd_sku
    should = shops.offered_at_second()[sku]
    assert "echo" in _delivered(shops, shops.second, mapping, should)
    shops.second_sandbox.products[mapping.woo_product_id]["stock_quantity"] = should + 5
    effect = _delivered(shops, shops.second, mapping, should + 5)
    assert f"it should have {should}: pushed back" in effect
    assert any("stock drift" in record.message for record in caplog.records)
    assert PushStockChanges(COMPANY, shops.second.id) in shops.pump()
    assert shops.offered_at_second()[sku] == should


def test_a_store_that_counts_a_sku_gives_its_catalogues_level_too(shops):
    """Store → warehouse from the catalogue scan (auto-map), not only from deliveries."""
    mapping = _simple_mapping(shops, shops.first)
    sku = mapping.shipcrowd_sku
    shops.run.mappings.change_stock(
        COMPANY, mapping.id, direction=StockDirection.STORE_TO_WAREHOUSE
    )
    shops.world.sandbox.products[mapping.woo_product_id]["stock_quantity"] = 17
    shops.run.mappings.auto_map(COMPANY, shops.first.id)
    with shops.world.uow() as uow:
        held = reserved_units(uow, COMPANY, [sku], only=shops.first.id).get(sku, 0)
        assert uow.warehouse.quantities(COMPANY, [sku]) == {sku: 17 + held}
