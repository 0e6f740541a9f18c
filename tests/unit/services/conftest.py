"""Services wired to fakes: an in-memory unit of work, a fake clock, a reversible secret box,
a lock, and a fake WooCommerce store over the sandbox's in-memory data."""

from datetime import UTC, datetime

import attrs
import pytest

from shipcrowd_woo.domain.ids import CompanyId
from shipcrowd_woo.domain.jobs import ConfirmOrders
from shipcrowd_woo.domain.secrets import Secret
from shipcrowd_woo.domain.versions import CLOCK_TOLERANCE
from shipcrowd_woo.sandbox.store import SandboxStore
from shipcrowd_woo.services.confirmations import OrderConfirmations
from shipcrowd_woo.services.context import ServiceContext
from shipcrowd_woo.services.jobs import JobService
from shipcrowd_woo.services.stores import StoreService
from tests.fake_store import (
    FakeScheduleGuard,
    FakeSecretBox,
    FakeStoreClientFactory,
    FakeStoreLock,
    FakeTaskQueue,
)
from tests.fakes import FakeClock, FakeDatabase, FakeInbox, FakeUnitOfWork

STORE_URL = "https://shop.example.com"
COMPANY = CompanyId("company-a")
OTHER_COMPANY = CompanyId("company-b")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@attrs.define
class World:
    """Everything a service test touches, visible."""

    context: ServiceContext
    database: FakeDatabase
    clock: FakeClock
    stores: FakeStoreClientFactory
    lock: FakeStoreLock
    sandbox: SandboxStore
    key: str
    secret: str
    queue: FakeTaskQueue
    guard: FakeScheduleGuard
    confirmations: OrderConfirmations

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.database)

    def confirm(self) -> int:
        """Run the confirming jobs the queue was sent, as a worker would once each is due
        (the clock moved past the tolerance), until none is left; how many ran."""
        seen = ran = 0
        while seen < len(self.queue.sent):
            sent, seen = self.queue.sent[seen:], len(self.queue.sent)
            jobs = [job for _, job, _ in sent if isinstance(job, ConfirmOrders)]
            if jobs:
                self.clock.advance(seconds=CLOCK_TOLERANCE.total_seconds() + 0.001)
            for job in jobs:
                self.confirmations.confirm(job.company_id, job.store_id)
                ran += 1
        return ran

    def install(self, company: CompanyId = COMPANY, url: str = STORE_URL):
        return (
            StoreService(self.context)
            .install(company, url, Secret(self.key), Secret(self.secret))
            .store
        )


@pytest.fixture
def world() -> World:
    clock = FakeClock(NOW)
    database = FakeDatabase()
    sandbox = SandboxStore(seed=3, products=20, orders=250, clock=clock.now)
    stores = FakeStoreClientFactory(now=clock.now)
    key, secret = stores.add(STORE_URL, sandbox)
    lock = FakeStoreLock()
    ids = iter(range(1, 1_000_000))
    context = ServiceContext(
        uow_factory=lambda: FakeUnitOfWork(database),
        clock=clock,
        secrets=FakeSecretBox(),
        store_clients=stores,
        store_lock=lock,
        webhook_base_url="https://shipcrowd.example",
        inbox=FakeInbox(database),
        new_id=lambda: f"id-{next(ids)}",
    )
    queue = FakeTaskQueue()
    guard = FakeScheduleGuard(clock.now)
    confirmations = OrderConfirmations(context, JobService(context, queue), guard)
    return World(
        context, database, clock, stores, lock, sandbox, key, secret, queue, guard, confirmations
    )
