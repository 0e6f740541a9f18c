"""Fulfilments of one order sent at the same moment, on PostgreSQL: each is planned from the
ones recorded before it, so no unit of the order ships twice."""

from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from shipcrowd_woo.domain.fulfilment import FulfilmentRequest
from shipcrowd_woo.domain.jobs import SyncMode
from shipcrowd_woo.domain.order import OrderKey
from tests.clusters import COMPANY

RACERS = 8


def test_racing_fulfilments_of_one_order_never_ship_a_unit_twice(pg_cluster, sandboxes):
    server = sandboxes(orders=40)
    store_id = pg_cluster.install(server)
    services = pg_cluster.services
    services.orders.run(COMPANY, store_id, SyncMode.FULL)
    order_id = next(
        i for i, o in sorted(server.store.orders.items()) if o["status"] == "processing"
    )
    ordered = {line["id"]: line["quantity"] for line in server.store.orders[order_id]["line_items"]}

    def fulfil(number: int) -> None:
        request = FulfilmentRequest("PPL", f"RACE-{number}")  # every line's remainder
        services.fulfilments.submit(COMPANY, store_id, order_id, request)

    with ThreadPoolExecutor(RACERS) as pool:
        list(pool.map(fulfil, range(RACERS)))

    accepted = services.fulfilments.for_order(COMPANY, store_id, order_id)
    assert len(accepted) == RACERS
    shipped: Counter[int] = Counter()
    for fulfilment in accepted:
        for line in fulfilment.lines:
            shipped[line.line_id] += line.quantity
    assert dict(shipped) == ordered
    assert sum(1 for f in accepted if f.lines) == 1  # the first took every line
    with services.uow_factory() as uow:
        assert uow.orders.get(OrderKey(COMPANY, store_id, order_id)) is not None
