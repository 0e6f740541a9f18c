"""The demo's order feed (issue 31): a consumer of Shipcrowd's shipping side reads the feed
through the API, as it would in production, and a subscriber is pushed the same events:
every imported order, then a cancellation and a full refund made at the sandbox store, each
reaching both as an event."""

from typing import Any

import httpx

from shipcrowd_woo.adapters.dramatiq.broker import QUEUE
from shipcrowd_woo.domain.ids import StoreId
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.entrypoints.bootstrap import Services
from shipcrowd_woo.entrypoints.commands.demo_report import Report, ok
from shipcrowd_woo.entrypoints.commands.demo_subscriber import DemoSubscriber
from shipcrowd_woo.sandbox.server import SandboxServer


class FeedConsumer:
    """Reads GET /events from its cursor on, keeping every order's last event."""

    def __init__(self, api: httpx.Client) -> None:
        self._api = api
        self.after = 0
        self.read = 0
        self.last: dict[int, dict[str, Any]] = {}

    def catch_up(self, wait: int = 0) -> list[dict[str, Any]]:
        """Every event after the cursor (waiting up to `wait` seconds for a first one)."""
        found: list[dict[str, Any]] = []
        while True:
            page = ok(
                self._api.get("/events", params={"after": self.after, "limit": 1000, "wait": wait})
            )
            found += page["events"]
            for event in page["events"]:
                self.last[event["order_id"]] = event
            self.read += len(page["events"])
            self.after = page["next_after"]
            if not page["has_more"]:
                return found


def feed_loop(
    report: Report,
    api: httpx.Client,
    services: Services,
    sandbox: SandboxServer,
    store_id: StoreId,
) -> None:
    """The consumer reads every imported order; a cancellation and a full refund at the
    store reach it through the store's webhooks, each as one event saying the order no
    longer ships."""
    with DemoSubscriber() as subscriber:
        with report.step("a subscriber subscribes to the feed from its start"):
            created = ok(api.post("/subscriptions", json={"url": subscriber.url, "after": 0}))
            subscriber.secret = Secret(created["secret"])
        try:
            _pull_and_push(report, api, services, sandbox, store_id, subscriber)
        finally:
            # Gone before its receiver stops: what the demo does next is not retried to it.
            api.delete(f"/subscriptions/{created['subscription']['id']}")


def _pull_and_push(
    report: Report,
    api: httpx.Client,
    services: Services,
    sandbox: SandboxServer,
    store_id: StoreId,
    subscriber: DemoSubscriber,
) -> None:
    store = sandbox.store
    consumer = FeedConsumer(api)
    with report.step("a consumer reads the order feed through the API"):
        consumer.catch_up()
    report.figures["feed events read"] = consumer.read
    report.check(
        "the feed tells of every order at the store", sorted(store.orders), sorted(consumer.last)
    )
    stale = [
        order_id
        for order_id, event in consumer.last.items()
        if event["data"]["order"]["woo_status"] != store.orders[order_id]["status"]
    ]
    report.check("each order's last event is its current status", [], stale)

    open_orders = [i for i, o in sorted(store.orders.items()) if o["status"] == "processing"]
    cancelled, refunded = open_orders[-1], open_orders[-2]
    with report.step(f"order {cancelled} cancelled and order {refunded} refunded at the store"):
        store.update_order(cancelled, status="cancelled")
        total = store.orders[refunded]["total"]
        store.update_order(
            refunded,
            status="refunded",
            refunds=[{"id": 90_000 + refunded, "reason": "demo", "total": f"-{total}"}],
        )
        sandbox.deliverer.flush()
        services.broker.join(QUEUE)
        told = consumer.catch_up(wait=5)
    events = {(e["order_id"], e["type"]) for e in told}
    report.check(
        "the cancellation reached the consumer as a shippable change to cancel",
        (True, "cancel"),
        (
            (cancelled, "order.shippable_changed") in events,
            consumer.last[cancelled]["data"]["shippable"]["state"],
        ),
    )
    lines = consumer.last[refunded]["data"]["lines"]
    report.check(
        "the refund lowered every line's quantity to ship to 0",
        [0] * len(lines),
        [line["to_ship"] for line in lines],
    )
    with report.step("the subscriber is pushed the same events"):
        subscriber.wait_until(
            lambda seen: (
                {o: e["seq"] for o, e in seen.last.items()}
                == {o: e["seq"] for o, e in consumer.last.items()}
            ),
            timeout=30,
        )
    report.figures["events pushed to the subscriber"] = subscriber.deliveries
    report.check(
        "the subscriber got every imported order, each signature valid",
        (sorted(store.orders), 0),
        (sorted(subscriber.last), subscriber.badly_signed),
    )
    report.check(
        "the subscriber got the cancellation, to cancel",
        (True, "cancel"),
        (
            (cancelled, "order.shippable_changed") in subscriber.types,
            subscriber.last[cancelled]["data"]["shippable"]["state"],
        ),
    )
    report.check(
        "the subscriber got the refund, every quantity to ship lowered to 0",
        [0] * len(lines),
        [line["to_ship"] for line in subscriber.last[refunded]["data"]["lines"]],
    )
    order = ok(api.get(f"/stores/{store_id}/orders/{refunded}"))
    report.check(
        "the order route agrees: refunded in full, cancel",
        ("cancel", "refunded in full"),
        (order["shippable"]["state"], order["shippable"]["why"]),
    )
