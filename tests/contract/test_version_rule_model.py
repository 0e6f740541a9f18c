"""The version rule as a model (issue 29): hypothesis interleaves a store's saves, several
within one second, with webhook deliveries of any saved version (duplicated, out of order),
imports whose pages are written after other writers acted since they were fetched, drains
that crash holding their batch, confirmations whose fetch succeeds, fails, is lost or meets a
newer save — on the fake, SQLite and PostgreSQL. Whenever everything has settled (the store
quiet, every webhook sent, every batch and job run to its end), every order we ever heard of
is exactly the store's newest version, the last event the feed published of it carries that
version, and nothing waits any more."""

import hashlib
import itertools
import json
import shutil
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from shipcrowd_woo.adapters.sqlalchemy.engine import make_engine, make_session_factory
from shipcrowd_woo.adapters.sqlalchemy.inbox import SqlAlchemyInbox
from shipcrowd_woo.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from shipcrowd_woo.converters.woocommerce import parse_order
from shipcrowd_woo.domain.errors import StoreClientError, StoreUnavailable
from shipcrowd_woo.domain.ids import CompanyId, DeliveryId
from shipcrowd_woo.domain.jobs import ConfirmOrders, SyncMode
from shipcrowd_woo.domain.order import Order, OrderKey
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.transform import transform_order
from shipcrowd_woo.domain.versions import CLOCK_TOLERANCE
from shipcrowd_woo.domain.webhooks import Delivery, Topic
from shipcrowd_woo.ports.repositories import EventQuery
from shipcrowd_woo.sandbox.delivery import wp_json_encode
from shipcrowd_woo.sandbox.store import SandboxStore
from shipcrowd_woo.services.confirmations import LOST_AFTER, OrderConfirmations
from shipcrowd_woo.services.context import ServiceContext
from shipcrowd_woo.services.inbox import LEASE, InboxDrain
from shipcrowd_woo.services.jobs import JobService
from shipcrowd_woo.services.order_sync import OrderSync
from shipcrowd_woo.services.order_writing import transform_context
from shipcrowd_woo.services.stores import StoreService
from shipcrowd_woo.services.webhooks import WebhookProcessor
from tests.databases import sqlite_url, truncate_everything
from tests.fake_store import (
    FakeScheduleGuard,
    FakeSecretBox,
    FakeStoreClientFactory,
    FakeStoreLock,
    FakeTaskQueue,
)
from tests.fakes import FakeClock, FakeDatabase, FakeInbox, FakeUnitOfWork

T = TypeVar("T")
R = TypeVar("R")
COMPANY = CompanyId("company-a")
URL = "https://shop.example.com"
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ORDERS = 2
STATUSES = ("processing", "on-hold", "completed")
# The rounds of confirmation a settled system may still need (each one proves itself newer).
SETTLE_ROUNDS = 8


class Crash(Exception):
    """A process dying between two steps."""


class Backend:
    """Makes each example a fresh database of one kind: its units of work and its inbox."""

    def __init__(self, kind: str, directory: Path, template: Path, postgres: Any) -> None:
        self.kind = kind
        self.directory = directory
        self.template = template
        self.postgres = postgres
        self.examples = itertools.count()
        self.engine: Any = None

    def fresh(self) -> tuple[Callable[[], Any], Any]:
        if self.kind == "fake":
            database = FakeDatabase()
            return lambda: FakeUnitOfWork(database), FakeInbox(database)
        if self.kind == "sqlite":
            path = self.directory / f"model-{next(self.examples)}.sqlite3"
            shutil.copy(self.template, path)
            self.engine = make_engine(sqlite_url(path))
        else:
            self.engine = self.postgres
            truncate_everything(self.engine)
        sessions = make_session_factory(self.engine)
        return lambda: SqlAlchemyUnitOfWork(sessions), SqlAlchemyInbox(self.engine)

    def done(self) -> None:
        if self.engine is not None:
            self.engine.dispose()
        self.engine = None


def model_of(backend: Backend) -> type[RuleBasedStateMachine]:
    """The state machine over one backend."""

    class VersionRuleModel(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.clock = FakeClock(T0)
            self.sandbox = SandboxStore(seed=29, products=2, orders=ORDERS, clock=self.clock.now)
            self.order_ids = sorted(self.sandbox.orders)
            self.stores = FakeStoreClientFactory(now=self.clock.now)
            key, secret = self.stores.add(URL, self.sandbox)
            uow_factory, inbox = backend.fresh()
            ids = itertools.count(1)
            self.context = ServiceContext(
                uow_factory=uow_factory,
                clock=self.clock,
                secrets=FakeSecretBox(),
                store_clients=self.stores,
                store_lock=FakeStoreLock(),
                webhook_base_url="https://shipcrowd.example",
                inbox=inbox,
                new_id=lambda: f"00000000-0000-4000-8000-{next(ids):012d}",
                prepare_ahead=self._pages_with_others_between,
            )
            self.queue = FakeTaskQueue()
            guard = FakeScheduleGuard(self.clock.now)
            self.confirmations = OrderConfirmations(
                self.context, JobService(self.context, self.queue), guard
            )
            self.processor = WebhookProcessor(self.context, self.confirmations)
            self.drain = InboxDrain(self.context, self.processor)
            self.sync = OrderSync(self.context, self.confirmations)
            self.store = (
                StoreService(self.context).install(COMPANY, URL, Secret(key), Secret(secret)).store
            )
            self.queue.sent.clear()
            self.jobs_run = 0
            # Bodies the store built for its webhooks (any may be delivered, any number of
            # times), and the orders saved since their last webhook was sent.
            self.bodies: list[bytes] = []
            self.unsent: set[int] = set()
            self.heard_of: set[int] = set()
            self.saves = itertools.count(1)
            self.between: Callable[[], None] = lambda: None
            self.during_fetch: Callable[[], None] = lambda: None
            real_render = self.sandbox.order_json

            def render(order_id: int, fields: Iterable[str] | None = None) -> dict[str, Any]:
                self.during_fetch()
                return real_render(order_id, fields)

            self.render_now = real_render
            self.sandbox.order_json = render  # type: ignore[method-assign]
            self.check_failed = False

        def teardown(self) -> None:
            """Every run ends settled, and is checked there (unless a check failed already:
            that failure is the run's)."""
            try:
                if not self.check_failed:
                    self.everything_settles()
            finally:
                backend.done()

        # The store ---------------------------------------------------------------------

        def _save(self, which: int, status: str | None) -> None:
            order_id = self.order_ids[which]
            changes: dict[str, Any] = {"customer_note": f"save {next(self.saves)}"}
            if status is not None:
                changes["status"] = status
            self.sandbox.update_order(order_id, **changes)
            self.bodies.append(wp_json_encode(self.render_now(order_id)))
            self.unsent.add(order_id)

        @rule(
            which=st.integers(0, ORDERS - 1),
            status=st.none() | st.sampled_from(STATUSES),
            after_ms=st.sampled_from([0, 0, 5, 100, 400, 700]),
        )
        def save(self, which: int, status: str | None, after_ms: int) -> None:
            """The store saves an order: several saves often share one second."""
            self._save(which, status)
            self.clock.advance(milliseconds=after_ms)

        # Deliveries --------------------------------------------------------------------

        def _deliver(self, body: bytes) -> None:
            order_id = int(parse_order_id(body))
            delivery = Delivery(
                id=DeliveryId(self.context.new_id()),
                company_id=COMPANY,
                store_id=self.store.id,
                topic=Topic.ORDER_UPDATED,
                woo_webhook_id=1,
                body=body,
                body_sha256=hashlib.sha256(body).hexdigest(),
                received_at=self.clock.now(),
            )
            with self.context.uow_factory() as uow:
                uow.deliveries.add(delivery)  # a body kept already is a duplicate: dropped
                uow.commit()
            self.heard_of.add(order_id)
            self.clock.advance(milliseconds=3)

        @precondition(lambda self: self.bodies)
        @rule(data=st.data())
        def deliver_any_saved_version(self, data: st.DataObject) -> None:
            """A webhook of any version the store saved: late, early, or again."""
            self._deliver(data.draw(st.sampled_from(self.bodies)))

        @precondition(lambda self: self.unsent)
        @rule(data=st.data())
        def send_a_webhook(self, data: st.DataObject) -> None:
            """WooCommerce sends an order's pending webhook, built now (at send time)."""
            order_id = data.draw(st.sampled_from(sorted(self.unsent)))
            self.unsent.discard(order_id)
            body = wp_json_encode(self.render_now(order_id))
            self.bodies.append(body)
            self._deliver(body)

        @rule(its_fetches_fail=st.booleans())
        def drain_the_inbox(self, its_fetches_fail: bool = False) -> None:
            """A worker drains the inbox; any order it fetches meanwhile may time out."""
            if its_fetches_fail:
                self.stores.fail("get_order", StoreUnavailable(URL, "timed out"))
            self.drain.drain(timedelta(seconds=20))

        @rule()
        def a_drain_dies_holding_its_batch(self) -> None:
            """A worker claims a batch and dies before it settles anything."""
            self.context.inbox.claim(self.clock.now(), LEASE, 2)

        # Imports -----------------------------------------------------------------------

        def _pages_with_others_between(
            self, items: Iterable[T], prepare: Callable[[T], R]
        ) -> Iterator[tuple[T, R]]:
            """Each page written after whatever `between` does once it was fetched."""
            for item in items:
                self.between()
                yield item, prepare(item)

        @rule(
            data=st.data(),
            mode=st.sampled_from([SyncMode.FULL, SyncMode.INCREMENTAL]),
            crash=st.booleans(),
        )
        def import_orders(self, data: st.DataObject, mode: SyncMode, crash: bool) -> None:
            """An import, its page written after other writers acted since it was fetched;
            it may die after the page is fetched."""

            def others() -> None:
                for step in data.draw(st.lists(st.sampled_from(INTERLEAVED), max_size=4)):
                    step(self, data)
                if crash:
                    raise Crash

            self.between = others
            try:
                self.sync.run(COMPANY, self.store.id, mode)
                self.heard_of.update(self.order_ids)
            except Crash:
                pass
            finally:
                self.between = lambda: None

        # Confirmations -----------------------------------------------------------------

        @precondition(lambda self: self._confirming_jobs())
        @rule(data=st.data(), outcome=st.sampled_from(["answers", "fails", "newer", "lost"]))
        def run_a_confirming_job(self, data: st.DataObject, outcome: str) -> None:
            """A confirming job runs once due: the store answers, fails (the queue retries
            it), saves the order again while answering, or the message is lost."""
            index, job = self._confirming_jobs()[0]
            del self.queue.sent[index]
            if outcome == "lost":
                return
            self.clock.advance(seconds=CLOCK_TOLERANCE.total_seconds() + 0.01)
            if outcome == "fails":
                self.stores.fail("get_order", StoreUnavailable(URL, "timed out"))
            if outcome == "newer":
                which = data.draw(st.integers(0, ORDERS - 1))
                self.during_fetch = lambda: self._save_once(which)
            try:
                self.confirmations.confirm(job.company_id, job.store_id)
            except StoreClientError:
                self.queue.sent.append(("retry", job, None))  # type: ignore[arg-type]
            finally:
                self.during_fetch = lambda: None

        def _save_once(self, which: int) -> None:
            self.during_fetch = lambda: None
            self._save(which, None)

        def _confirming_jobs(self) -> list[tuple[int, ConfirmOrders]]:
            return [
                (index, job)
                for index, (_, job, _) in enumerate(self.queue.sent)
                if isinstance(job, ConfirmOrders)
            ]

        @rule()
        def the_store_fails_its_next_order_fetch(self) -> None:
            """The next single-order fetch, whoever makes it, times out."""
            self.stores.fail("get_order", StoreUnavailable(URL, "timed out"))

        @rule(which=st.integers(0, ORDERS - 1))
        def the_store_saves_while_answering_its_next_fetch(self, which: int) -> None:
            """Whatever fetches next (a page, an order) is answered after a new save."""
            self.during_fetch = lambda: self._save_once(which)

        @rule(seconds=st.sampled_from([0.1, 0.3, 1, 150]))
        def time_passes(self, seconds: float) -> None:
            """Time passes (a crashed drain's lease ends after two minutes)."""
            self.clock.advance(seconds=seconds)

        # Quiescence --------------------------------------------------------------------

        @rule()
        def everything_settles(self) -> None:
            """The store goes quiet, every pending webhook is sent, every batch and job runs
            to its end (lost jobs found by the sweep): each order is the store's newest."""
            self.stores.failures.clear()
            self.during_fetch = lambda: None
            for order_id in sorted(self.unsent):
                self._deliver(wp_json_encode(self.render_now(order_id)))
            self.unsent.clear()
            self.clock.advance(seconds=LEASE.total_seconds() + 1)
            for _ in range(SETTLE_ROUNDS):
                while self.drain.drain(timedelta(seconds=20)).batches:
                    pass
                jobs = self._confirming_jobs()
                if not jobs:
                    self.clock.advance(seconds=LOST_AFTER.total_seconds() + 1)
                    if not self.confirmations.sweep():
                        break
                    continue
                self.clock.advance(seconds=CLOCK_TOLERANCE.total_seconds() + 0.01)
                for index, job in reversed(jobs):
                    del self.queue.sent[index]
                    self.confirmations.confirm(job.company_id, job.store_id)
            try:
                self._assert_newest()
            except AssertionError:
                self.check_failed = True
                raise

        def _assert_newest(self) -> None:
            with self.context.reads() as uow:
                waiting = uow.confirmations.due(self.store.id, self.clock.now() + LOST_AFTER, 10)
                stored = {i: uow.orders.get(self._key(i)) for i in sorted(self.heard_of)}
                events = list(uow.feed.read(EventQuery(COMPANY, 0, 10_000)))
            assert waiting == []
            assert [event.seq for event in events] == list(range(1, len(events) + 1))
            last_of: dict[int, dict[str, Any]] = {}
            for event in events:
                last_of[event.key.source_id] = json.loads(event.data)["version"]
            for order_id, order in stored.items():
                newest = self._newest(order_id)
                assert order is not None, f"order {order_id} was never stored"
                assert (order.woo_status, order.customer_note, order.fingerprint) == (
                    newest.woo_status,
                    newest.customer_note,
                    newest.fingerprint,
                ), f"order {order_id} is not the store's newest version"
                assert last_of[order_id]["fingerprint"] == newest.fingerprint, (
                    f"the feed's last event of order {order_id} is not its newest version"
                )

        def _key(self, order_id: int) -> OrderKey:
            return OrderKey(COMPANY, self.store.id, order_id)

        def _newest(self, order_id: int) -> Order:
            order = transform_order(
                parse_order(self.render_now(order_id)),  # type: ignore[arg-type]
                transform_context(self.store, self.clock.now()),
            )
            assert isinstance(order, Order)
            return order

    return VersionRuleModel


def parse_order_id(body: bytes) -> int:
    """The order a delivery's JSON is of."""
    return int(json.loads(body)["id"])


# What may happen between an import's fetch of a page and its write.
INTERLEAVED: list[Callable[[Any, st.DataObject], None]] = [
    lambda machine, data: machine._save(data.draw(st.integers(0, ORDERS - 1)), None),
    lambda machine, data: machine.send_a_webhook(data) if machine.unsent else None,
    lambda machine, data: machine.deliver_any_saved_version(data) if machine.bodies else None,
    lambda machine, _: machine.drain_the_inbox(),
    lambda machine, _: machine.clock.advance(milliseconds=400),
]

# Examples per backend: the fake is cheap; the SQL backends run every step on a database.
EXAMPLES = {"fake": 1500, "sqlite": 60, "postgresql": 60}


@pytest.mark.parametrize("backend", ["fake", "sqlite", "postgresql"], indirect=True)
def test_every_order_settles_on_the_stores_newest_version(
    backend, request, tmp_path, migrated_sqlite_template
):
    """Any interleaving of saves, deliveries, imports, drains, confirmations and crashes
    ends, once everything has settled, with every order at the store's newest version."""
    postgres = request.getfixturevalue("postgres_engine") if backend == "postgresql" else None
    machine = model_of(Backend(backend, tmp_path, migrated_sqlite_template, postgres))
    run_state_machine_as_test(
        machine,
        settings=settings(max_examples=EXAMPLES[backend], stateful_step_count=30, deadline=None),
    )
