"""The composition root: settings in, wired services out. Every entrypoint and the tests call
`bootstrap`; nothing is created at import time."""

import logging
import threading
from collections.abc import Callable, Collection, Mapping
from datetime import timedelta

import attrs
import dramatiq
import redis
from dramatiq.brokers.stub import StubBroker
from sqlalchemy import Engine

from shipcrowd_woo.adapters.clock import SystemClock
from shipcrowd_woo.adapters.crypto import AesGcmSecretBox
from shipcrowd_woo.adapters.dramatiq.actors import (
    DramatiqTaskQueue,
    JobPolicy,
    SyncSlots,
    Wake,
    declare_delivery_actor,
    declare_drain_actor,
    declare_job_actor,
)
from shipcrowd_woo.adapters.dramatiq.broker import BrokerOptions, make_broker
from shipcrowd_woo.adapters.dramatiq.limits import (
    InProcessSyncSlots,
    RedisScheduleGuard,
    RedisStoreLock,
    RedisSyncSlots,
)
from shipcrowd_woo.adapters.dramatiq.wakes import InProcessWakeMark, RedisWakeMark
from shipcrowd_woo.adapters.feed_signals import InProcessFeedSignal, RedisFeedSignal
from shipcrowd_woo.adapters.locks import InProcessScheduleGuard, InProcessStoreLock
from shipcrowd_woo.adapters.preparation import InProcesses
from shipcrowd_woo.adapters.sqlalchemy.engine import READ_ONLY, make_engine, make_session_factory
from shipcrowd_woo.adapters.sqlalchemy.inbox import SqlAlchemyInbox
from shipcrowd_woo.adapters.sqlalchemy.migrations import schema_revisions, upgrade
from shipcrowd_woo.adapters.sqlalchemy.unit_of_work import SqlAlchemyUnitOfWork
from shipcrowd_woo.adapters.subscribers import HttpxSubscriberClient, SubscriberOptions
from shipcrowd_woo.adapters.woocommerce.client import ClientOptions
from shipcrowd_woo.adapters.woocommerce.factory import HttpxStoreClientFactory
from shipcrowd_woo.adapters.woocommerce.transport import TransportOptions
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.subscriptions import DeliveryPolicy
from shipcrowd_woo.entrypoints.settings import PREFIX, Settings, SettingsError
from shipcrowd_woo.ports.clock import Clock
from shipcrowd_woo.ports.feed_signal import FeedSignal
from shipcrowd_woo.ports.inbox import Inbox
from shipcrowd_woo.ports.queue import ScheduleGuard
from shipcrowd_woo.ports.repositories import StockNoted, UnitOfWorkFactory
from shipcrowd_woo.ports.secrets import SecretBox
from shipcrowd_woo.ports.store_client import StoreClientFactory
from shipcrowd_woo.ports.subscribers import SubscriberClient
from shipcrowd_woo.services.ahead import in_a_thread
from shipcrowd_woo.services.auto_push import AutoPush
from shipcrowd_woo.services.confirmations import OrderConfirmations
from shipcrowd_woo.services.context import ServiceContext
from shipcrowd_woo.services.feed import OrderFeed
from shipcrowd_woo.services.fulfilments import Fulfilments
from shipcrowd_woo.services.inbox import InboxDrain
from shipcrowd_woo.services.inventory import InventorySync
from shipcrowd_woo.services.job_runner import JobRunner, use_cases
from shipcrowd_woo.services.jobs import JobService
from shipcrowd_woo.services.keys import verify_keys
from shipcrowd_woo.services.mappings import MappingService
from shipcrowd_woo.services.order_sync import OrderSync
from shipcrowd_woo.services.scheduling import (
    RECHECK_AFTER,
    Scheduler,
    StoreChecks,
    Sweeps,
    TickReport,
)
from shipcrowd_woo.services.stores import StoreService
from shipcrowd_woo.services.subscriptions import SubscriptionDelivery, SubscriptionService
from shipcrowd_woo.services.webhooks import WebhookProcessor

log = logging.getLogger("shipcrowd_woo.scheduler")


@attrs.frozen
class Services:
    """Everything an entrypoint needs, built once per process."""

    settings: Settings
    context: ServiceContext
    stores: StoreService
    orders: OrderSync
    confirmations: OrderConfirmations
    inventory: InventorySync
    fulfilments: Fulfilments
    mappings: MappingService
    feed: OrderFeed
    subscriptions: SubscriptionService
    delivery: SubscriptionDelivery
    subscribers: SubscriberClient
    webhooks: WebhookProcessor
    drain: InboxDrain
    jobs: JobService
    scheduler: Scheduler
    runner: JobRunner
    queue: DramatiqTaskQueue
    broker: dramatiq.Broker
    engine: Engine
    redis_client: redis.Redis | None = None
    # Where imports prepare their pages, when in processes of their own.
    import_processes: InProcesses | None = None
    # How to stop the worker threads and schedulers started through this object.
    _stops: list[Callable[[], None]] = attrs.field(factory=list, init=False)

    @property
    def embedded(self) -> bool:
        """True when jobs run in this process (no Redis configured)."""
        return isinstance(self.broker, StubBroker)

    def start_worker(self, threads: int | None = None) -> dramatiq.Worker:
        """Start worker threads consuming this process's broker; stop them when done.

        Each thread takes one message at a time (prefetch = threads): a worker busy with
        long syncs leaves the waiting ones to idle workers instead of hoarding them."""
        threads = threads or self.settings.worker_threads
        self.ready_for_imports()
        worker = dramatiq.Worker(self.broker, worker_threads=threads, worker_timeout=100)
        worker.queue_prefetch = threads
        worker.start()
        self._stops.append(_once(worker.stop))
        return worker

    def ready_for_imports(self) -> None:
        """Start what imports prepare their pages in, before the first import needs it."""
        if self.import_processes is not None:
            self.import_processes.start()

    def start_scheduler(self) -> "SchedulerThread":
        """Tick the scheduler in a background thread of this process; stop it when done."""
        thread = SchedulerThread(self.scheduler, self.settings.scheduler_tick)
        thread.start()
        self._stops.append(thread.stop)
        return thread

    @property
    def uow_factory(self) -> UnitOfWorkFactory:
        """Opens a unit of work on the configured database."""
        return self.context.uow_factory

    @property
    def clock(self) -> Clock:
        """The process's clock."""
        return self.context.clock

    def stop_background(self) -> None:
        """Stop the worker threads and the scheduler started through this object (each
        finishes what it holds first)."""
        while self._stops:
            self._stops.pop()()

    def close(self) -> None:
        """Stop every thread and process started through this object, and release the
        database and Redis connections. Nothing it started outlives this call; calling it
        again does nothing more."""
        self.stop_background()
        self.subscribers.close()
        if self.import_processes is not None:
            self.import_processes.close()
        self.broker.close()
        self.engine.dispose()
        if self.redis_client is not None:
            self.redis_client.close()

    def __enter__(self) -> "Services":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _once(stop: Callable[[], None]) -> Callable[[], None]:
    """`stop`, run on the first call only (its owner may have called it already)."""
    done = threading.Lock()

    def once() -> None:
        if done.acquire(blocking=False):
            stop()

    return once


class SchedulerThread(threading.Thread):
    """Ticks until stopped; a failing tick is logged and the next one tries again."""

    def __init__(self, scheduler: Scheduler, every: timedelta) -> None:
        super().__init__(name="scheduler", daemon=True)
        self._scheduler = scheduler
        self._every = every.total_seconds()
        self._stopped = threading.Event()

    def run(self) -> None:
        """Tick now, then every period until stopped (the event is the timer)."""
        while True:
            try:
                report = self._scheduler.tick()
                log.log(
                    logging.DEBUG if report == TickReport() else logging.INFO,
                    "scheduler tick: %s",
                    report,
                )
            except Exception:
                log.exception("scheduler tick failed")
            if self._stopped.wait(self._every):
                return

    def stop(self) -> None:
        """Stop after the current tick."""
        self._stopped.set()
        self.join()


@attrs.frozen
class Database:
    """The configured database: units of work over it (for reading only, too), its inbox,
    and its engine to dispose of."""

    uow_factory: UnitOfWorkFactory
    reads: UnitOfWorkFactory
    inbox: Inbox
    engine: Engine

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()


class DatabaseNotMigrated(SettingsError):
    """The configured database is not at this release's schema, and is not ours to migrate
    unasked (a server database): the message says what to run."""


def open_database(
    settings: Settings,
    announce: Callable[[Collection[CompanyId]], None] | None = None,
    stock_noted: StockNoted | None = None,
) -> Database:
    """Units of work on SHIPCROWD_WOO_DATABASE_URL (commands that need nothing else), which
    `announce` the companies whose feed a commit moved, and tell `stock_noted` the stores it
    noted stock changes for. The embedded SQLite database is
    migrated here to this release's schema; any other must have been (`shipcrowd-woo db
    upgrade`), or DatabaseNotMigrated says so in one line."""
    engine = make_engine(settings.database_url)
    try:
        _ensure_schema(engine, settings.database_url)
    except Exception:
        engine.dispose()
        raise
    sessions = make_session_factory(engine)
    # PostgreSQL reads in autocommit: at READ COMMITTED each statement sees its own snapshot
    # inside a transaction too, so BEGIN and ROLLBACK were two round trips buying nothing.
    autocommit = {"isolation_level": "AUTOCOMMIT"} if engine.dialect.name == "postgresql" else {}
    reading = make_session_factory(engine.execution_options(**READ_ONLY, **autocommit))
    return Database(
        uow_factory=lambda: SqlAlchemyUnitOfWork(
            sessions, announce=announce, stock_noted=stock_noted
        ),
        reads=lambda: SqlAlchemyUnitOfWork(reading, read_only=True),
        inbox=SqlAlchemyInbox(engine),
        engine=engine,
    )


def _ensure_schema(engine: Engine, url: str) -> None:
    current, head, known = schema_revisions(engine)
    if current == head:
        return
    shown = engine.url.render_as_string(hide_password=True)
    if not known:
        raise DatabaseNotMigrated(
            f"the database at {shown} is at revision {current}, which this release does not "
            f"know (a newer one migrated it): run that release, or this one on another database"
        )
    if engine.dialect.name == "sqlite":
        logging.getLogger("shipcrowd_woo.database").info(
            "migrating the SQLite database at %s from %s to %s", shown, current, head
        )
        upgrade(url)
        return
    state = "has no schema" if current is None else f"is at revision {current}"
    raise DatabaseNotMigrated(
        f"the database at {shown} {state}; this release needs {head}: run "
        f"`shipcrowd-woo db upgrade` (with the same SHIPCROWD_WOO_DATABASE_URL) first"
    )


# What preparing an import's pages runs (order_sync._prepared): imported by the forkserver
# once, so that each worker starts ready.
PREPARATION_MODULES = (
    "shipcrowd_woo.services.order_sync",
    "shipcrowd_woo.adapters.woocommerce.client",
    "shipcrowd_woo.adapters.sqlalchemy.orders",
)


# Processes preparing an import's pages in our own entrypoints, unless the settings say
# otherwise. Issue 19: 2 took a full import from about 0.5 to about 0.75 of the official
# client's fetch-only rate on 2 cores (README, Benchmarks).
ENTRYPOINT_IMPORT_PROCESSES = 2


def bootstrap(
    settings: Settings | None = None,
    *,
    store_clients: StoreClientFactory | None = None,
    secrets: SecretBox | None = None,
    clock: Clock | None = None,
    subscribers: SubscriberClient | None = None,
    entrypoint: bool = False,
) -> Services:
    """Build the services from settings; the ports given replace those the settings would
    make (tests give fakes). With real secrets, every stored secret is checked to open with
    the configured keys: a missing or wrong key stops the process here. `entrypoint` is for
    our own processes (serve, worker, the CLI): imports then prepare their pages in
    processes of their own unless the settings say how many; embedded, only if they do.
    Nothing is started here: processes start with the first import or `start_worker`."""
    settings = settings or Settings.from_env()
    if secrets is None:
        if not settings.encryption_keys:
            raise SettingsError(
                f"{PREFIX}ENCRYPTION_KEYS is required to store credentials: generate one with "
                "`shipcrowd-woo keys generate`"
            )
        secrets = AesGcmSecretBox(settings.encryption_keys)
    client = redis.Redis.from_url(settings.redis_url) if settings.redis_url else None
    signal: FeedSignal = RedisFeedSignal(client) if client else InProcessFeedSignal()

    def announce(company_ids: Collection[CompanyId]) -> None:
        # Waiting readers, then the subscriptions' deliverer (built below, before any commit).
        signal.announce(company_ids)
        services.queue.wake_deliveries()

    def stock_noted(noted: Mapping[CompanyId, set[StoreId]]) -> None:
        auto_push.schedule_noted(noted)

    database = open_database(settings, announce, stock_noted)
    engine = database.engine
    processes = settings.import_processes
    if processes is None:
        processes = ENTRYPOINT_IMPORT_PROCESSES if entrypoint else 0
    import_processes = InProcesses(processes, preload=PREPARATION_MODULES) if processes else None
    context = ServiceContext(
        uow_factory=database.uow_factory,
        reads=database.reads,
        inbox=database.inbox,
        clock=clock or SystemClock(),
        secrets=secrets,
        store_clients=store_clients
        or HttpxStoreClientFactory(
            ClientOptions(
                transport=TransportOptions(
                    connect_timeout=settings.connect_timeout,
                    read_timeout=settings.read_timeout,
                    max_in_flight=settings.store_concurrency,
                ),
                allow_private_hosts=settings.allow_private_hosts,
            )
        ),
        store_lock=RedisStoreLock(client) if client else InProcessStoreLock(),
        webhook_base_url=settings.public_base_url,
        sync_lock_ttl=settings.sync_lock_ttl,
        default_sync_interval=settings.sync_interval,
        prepare_ahead=import_processes or in_a_thread,
    )
    try:
        verify_keys(context.uow_factory, context.secrets)
    except Exception:
        engine.dispose()
        raise
    broker = make_broker(
        BrokerOptions(
            settings.redis_url,
            heartbeat_timeout_ms=int(settings.worker_heartbeat_timeout.total_seconds() * 1000),
        )
    )
    slots: SyncSlots = (
        RedisSyncSlots(client, settings.max_concurrent_syncs, settings.sync_lock_ttl)
        if client
        else InProcessSyncSlots(settings.max_concurrent_syncs)
    )
    policy = JobPolicy(
        min_backoff=settings.job_min_backoff,
        time_limit=settings.job_time_limit,
        defer_delay=settings.job_defer_delay,
    )
    # The actors ask for the runner and the drain when a message arrives, after all is built.
    actor = declare_job_actor(broker, lambda: services.runner, slots, policy)
    mark = RedisWakeMark(client) if client else InProcessWakeMark()
    drain_actor = declare_drain_actor(broker, lambda: services.drain, mark, policy)
    delivery_mark = (
        RedisWakeMark(client, "shipcrowd-woo:delivery-wake") if client else InProcessWakeMark()
    )
    delivery_actor = declare_delivery_actor(
        broker, lambda: services.delivery, delivery_mark, policy
    )
    queue = DramatiqTaskQueue(actor, Wake(drain_actor, mark), Wake(delivery_actor, delivery_mark))
    subscribers = subscribers or HttpxSubscriberClient(
        SubscriberOptions(
            allow_private_hosts=settings.allow_private_hosts,
            timeout=settings.subscription_timeout,
        )
    )
    delivery_policy = DeliveryPolicy(
        disable_after=settings.subscription_disable_after, lanes=settings.subscription_lanes
    )
    guard: ScheduleGuard = RedisScheduleGuard(client) if client else InProcessScheduleGuard()
    jobs = JobService(context, queue)
    auto_push = AutoPush(context, jobs, guard, settings.stock_push_window)
    run = use_cases(context, jobs, guard, auto_push)
    webhooks = WebhookProcessor(context, run.confirmations)
    services = Services(
        settings=settings,
        context=context,
        import_processes=import_processes,
        stores=StoreService(context),
        jobs=run.jobs,
        orders=run.orders,
        confirmations=run.confirmations,
        inventory=run.inventory,
        fulfilments=run.fulfilments,
        mappings=run.mappings,
        feed=OrderFeed(context, signal),
        subscriptions=SubscriptionService(context, subscribers, queue, delivery_policy),
        delivery=SubscriptionDelivery(
            context,
            subscribers,
            delivery_policy,
            # A live deliverer renews its hold with every event, and one request lasts at
            # most the timeout: a killed one's subscription is free again after this.
            timedelta(seconds=settings.subscription_timeout * 2),
        ),
        subscribers=subscribers,
        runner=JobRunner(context, run, settings.job_max_retries),
        webhooks=webhooks,
        drain=InboxDrain(context, webhooks),
        scheduler=Scheduler(
            context,
            run.jobs,
            guard,
            Sweeps(
                stalled_after=settings.stalled_after,
                abandoned_after=settings.job_time_limit * 2,
                retention=settings.sync_log_retention,
                feed_retention=settings.feed_retention,
            ),
            StoreChecks(
                webhooks_every=settings.webhook_check_interval,
                delivery_silence=settings.delivery_silence,
                recheck_after=min(RECHECK_AFTER, settings.webhook_check_interval),
                reconcile_every=settings.reconcile_interval,
            ),
            auto_push,
            run.confirmations,
        ),
        queue=queue,
        broker=broker,
        engine=engine,
        redis_client=client,
    )
    return services


def connect(settings: Settings | None = None) -> Services:
    """The services for a host program (`shipcrowd_woo.connect`), from `settings` or the
    environment. Nothing runs in the background until asked (`create_app`, `start_worker`,
    `start_scheduler`); imports prepare their pages in processes only when the settings ask
    for some. `close()`, or leaving a `with` block, stops whatever was started."""
    return bootstrap(settings)
