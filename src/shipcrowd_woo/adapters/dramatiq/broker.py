"""Brokers: Redis when configured, otherwise Dramatiq's in-process StubBroker."""

import attrs
import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    CurrentMessage,
    Middleware,
    Pipelines,
    Retries,
    ShutdownNotifications,
)

from shipcrowd_woo.adapters.dramatiq.time_limit import WorkerTimeLimit

QUEUE = "shipcrowd-woo"
# Dramatiq's default stack plus CurrentMessage (the actor reads its retry count). The
# Retries defaults (20 retries spread over days) are overridden by the job actor's options.
MIDDLEWARE = (
    AgeLimit,
    WorkerTimeLimit,
    ShutdownNotifications,
    Callbacks,
    Pipelines,
    Retries,
    CurrentMessage,
)


@attrs.frozen
class BrokerOptions:
    """Where messages go and how dead workers are noticed."""

    redis_url: str | None = None
    # A worker that stops heart-beating for this long is dead: its unacknowledged messages
    # are delivered again, by whichever worker next runs the queue maintenance.
    heartbeat_timeout_ms: int = 60_000
    # Per million broker commands; Dramatiq's default (1,000) leaves a dead worker's
    # messages waiting minutes. Maintenance is one small Lua step, so run it often.
    maintenance_chance: int = 100_000


class ClosingRedisBroker(RedisBroker):
    """Dramatiq's RedisBroker, whose close() also releases its Redis connections: Dramatiq's
    own close() does nothing, and a process that makes brokers one after another (a test
    session, a command that closes its services) kept every connection open."""

    def close(self) -> None:
        super().close()
        # A client built on a pool it was given leaves that pool open when closed.
        self.client.close()
        self.client.connection_pool.disconnect()


def make_broker(options: BrokerOptions) -> dramatiq.Broker:
    """A Redis broker, or the in-process stub broker when no Redis URL is configured."""
    middleware: list[Middleware] = [factory() for factory in MIDDLEWARE]
    if options.redis_url:
        # RedisBroker's constructor carries no annotations.
        return ClosingRedisBroker(  # type: ignore[no-untyped-call]
            url=options.redis_url,
            middleware=middleware,
            namespace="shipcrowd-woo",
            heartbeat_timeout=options.heartbeat_timeout_ms,
            maintenance_chance=options.maintenance_chance,
        )
    return StubBroker(middleware=middleware)
