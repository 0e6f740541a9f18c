"""The webhook health check on fakes: what it repairs, what it records, what it queues."""

import pytest

from shipcrowd_woo.domain.errors import StoreUnavailable
from shipcrowd_woo.domain.jobs import CheckWebhooks, JobState, SyncMode, SyncOrders
from shipcrowd_woo.domain.sync_log import SyncStatus, SyncType
from shipcrowd_woo.domain.webhook_health import WebhookState
from shipcrowd_woo.services.job_runner import JobRunner, use_cases
from shipcrowd_woo.services.jobs import JobService
from shipcrowd_woo.services.webhook_checks import WebhookChecks
from tests.fake_store import FakeTaskQueue
from tests.unit.services.conftest import COMPANY, NOW, STORE_URL


def _disable(world, topic: str) -> None:
    [record] = [w for w in world.sandbox.webhooks.values() if w.topic == topic]
    record.status = "disabled"


def _health(world, store):
    with world.uow() as uow:
        return uow.stores.get(COMPANY, store.id).webhook_health


def test_a_healthy_store_is_recorded_healthy_with_a_webhook_sync_log(world):
    store = world.install()
    check = WebhookChecks(world.context).check(COMPANY, store.id)
    assert not check.deliveries_may_be_lost
    health = _health(world, store)
    assert (health.state, health.since, health.checked_at) == (WebhookState.HEALTHY, NOW, NOW)
    with world.uow() as uow:
        sync_log = uow.sync_logs.get(check.log.id)
    assert sync_log.sync_type is SyncType.WEBHOOK
    assert sync_log.status is SyncStatus.COMPLETED
    assert (sync_log.synced, sync_log.skipped) == (0, 8)


def test_a_webhook_the_store_disabled_is_reactivated_and_the_store_says_repaired(world):
    store = world.install()
    _disable(world, "order.updated")
    world.clock.advance(minutes=3)
    check = WebhookChecks(world.context).check(COMPANY, store.id)
    assert check.deliveries_may_be_lost
    assert all(w.status == "active" for w in world.sandbox.webhooks.values())
    health = _health(world, store)
    assert health.state is WebhookState.REPAIRED
    assert health.repaired_at == health.checked_at == world.clock.now()
    assert check.log.synced == 1
    assert check.log.metadata["reactivated"] == 1


def test_a_webhook_that_cannot_be_reactivated_leaves_the_store_disabled(world):
    """The store refuses to reactivate: the health says disabled (since the check), the
    sync log is partial and names the topic."""
    store = world.install()
    _disable(world, "order.updated")
    world.stores.fail("activate_webhook", StoreUnavailable(store.url, "PUT webhooks: 503"))
    check = WebhookChecks(world.context).check(COMPANY, store.id)
    health = _health(world, store)
    assert health.state is WebhookState.DISABLED
    assert health.is_unhealthy
    assert check.log.status is SyncStatus.PARTIAL
    assert any("order.updated" in error for error in check.log.errors)


def test_a_missing_webhook_that_cannot_be_created_leaves_the_store_missing(world):
    store = world.install()
    [record] = [w for w in world.sandbox.webhooks.values() if w.topic == "product.updated"]
    del world.sandbox.webhooks[record.id]
    world.stores.fail("create_webhook", StoreUnavailable(store.url, "PUT webhooks: 503"))
    WebhookChecks(world.context).check(COMPANY, store.id)
    assert _health(world, store).state is WebhookState.MISSING


def test_healthy_again_after_a_repair_keeps_the_repair_time(world):
    store = world.install()
    _disable(world, "order.updated")
    WebhookChecks(world.context).check(COMPANY, store.id)
    repaired_at = world.clock.now()
    world.clock.advance(hours=1)
    WebhookChecks(world.context).check(COMPANY, store.id)
    health = _health(world, store)
    assert (health.state, health.since) == (WebhookState.HEALTHY, world.clock.now())
    assert health.repaired_at == repaired_at


@pytest.fixture
def runner(world):
    queue = FakeTaskQueue()
    jobs = JobService(world.context, queue)
    return JobRunner(world.context, use_cases(world.context, jobs, world.guard)), jobs, queue


def test_a_check_job_that_repaired_queues_an_incremental_import(world, runner):
    """Deliveries may have been lost while the webhook was disabled: WooCommerce does not
    send them again, so the check queues an incremental import."""
    store = world.install()
    job_runner, jobs, queue = runner
    _disable(world, "order.created")
    record = jobs.submit(COMPANY, CheckWebhooks(COMPANY, store.id))
    done = job_runner.run(record.id, record.job)
    assert done.state is JobState.COMPLETED
    assert done.summary["health"] == "repaired"
    assert done.summary["reactivated"] == 1
    follow_up_id, follow_up, _ = queue.sent[-1]
    assert follow_up == SyncOrders(COMPANY, store.id, SyncMode.INCREMENTAL)
    assert done.summary["sync_job_id"] == follow_up_id


def test_a_check_job_that_found_all_well_queues_nothing(world, runner):
    store = world.install()
    job_runner, jobs, queue = runner
    record = jobs.submit(COMPANY, CheckWebhooks(COMPANY, store.id))
    done = job_runner.run(record.id, record.job)
    assert done.summary["health"] == "healthy"
    assert "sync_job_id" not in done.summary
    assert [job for _, job, _ in queue.sent] == [CheckWebhooks(COMPANY, store.id)]


def test_a_store_whose_home_moved_is_followed_after_its_key_works_there(world):
    """Issue 16: the merchant moved the site (a new domain, or https): its index names the
    new home. The check verifies the stored key there, keeps the store under the new URL
    (the source its deliveries now name, so they are not refused as unknown) and imports
    what may have been missed."""
    store = world.install()
    moved = "https://www.shop.example.com"
    world.stores.stores[moved] = world.stores.stores[STORE_URL]
    world.stores.aliases[STORE_URL] = moved
    check = WebhookChecks(world.context).check(COMPANY, store.id)
    assert check.moved_from == STORE_URL
    assert check.deliveries_may_be_lost
    assert check.log.metadata["home_moved_from"] == STORE_URL
    with world.uow() as uow:
        assert uow.stores.get(COMPANY, store.id).url == moved


def test_a_new_home_where_the_key_does_not_work_is_not_followed(world):
    store = world.install()
    moved = "https://www.shop.example.com"
    world.stores.add(moved, world.sandbox)  # the same site, with another key
    world.stores.aliases[STORE_URL] = moved
    check = WebhookChecks(world.context).check(COMPANY, store.id)
    assert check.moved_from is None
    with world.uow() as uow:
        assert uow.stores.get(COMPANY, store.id).url == STORE_URL
