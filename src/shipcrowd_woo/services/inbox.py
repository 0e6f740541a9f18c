"""Draining the webhook inbox: batches of deliveries claimed, processed and settled.

The intake keeps each delivery with one insert and wakes the drain; no job or message is made
per delivery. A drain claims the oldest free deliveries under a lease, processes them as a
batch (services/webhooks.py: one transaction per store, deliveries of one order coalesced)
and goes on until the inbox is empty or its time is up. A drain that dies leaves its batch to
the next once the lease ends (one that fails frees its batch at once); the scheduler's
recovery sweep wakes a drain for deliveries left waiting (a lost wake, a dead worker).
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from shipcrowd_woo.domain.ids import DeliveryId
from shipcrowd_woo.domain.webhooks import Delivery, DeliveryState
from shipcrowd_woo.services.context import Deliveries
from shipcrowd_woo.services.webhooks import ProcessOutcome, WebhookProcessor

log = logging.getLogger("shipcrowd_woo.inbox")
# A batch is written in one short transaction per store: on SQLite, a hundred deliveries
# hold the write lock for a few milliseconds, so the intake never waits long behind a drain.
BATCH_SIZE = 100
# Longer than any batch takes (a batch may fetch a few orders from a slow store).
LEASE = timedelta(minutes=2)
Outcomes = Mapping[DeliveryId, ProcessOutcome]


@attrs.frozen
class DrainReport:
    """What one drain did; `more` when it stopped at its budget with deliveries waiting."""

    batches: int = 0
    processed: int = 0
    superseded: int = 0
    failed: int = 0
    more: bool = False

    def adding(self, outcomes: Outcomes) -> "DrainReport":
        """This report with one more batch counted."""
        states = [outcome.state for outcome in outcomes.values()]
        return attrs.evolve(
            self,
            batches=self.batches + 1,
            processed=self.processed + states.count(DeliveryState.PROCESSED),
            superseded=self.superseded + sum(o.superseded for o in outcomes.values()),
            failed=self.failed + states.count(DeliveryState.FAILED),
        )


@attrs.define(eq=False)
class InboxDrain:
    """Claims and processes batches until the inbox is empty."""

    _ctx: Deliveries
    _processor: WebhookProcessor
    _batch_size: int = BATCH_SIZE
    _lease: timedelta = LEASE
    observers: list[Callable[[Outcomes], None]] = attrs.field(init=False, factory=list)

    def resume(self, started_at: datetime) -> int:
        """At the start of a process with an in-process queue: the batches drains held
        before `started_at` belonged to a process that died with them (a sibling's live
        batch, if any, is processed twice, which settling tolerates), so they are freed now
        rather than when their leases end."""
        freed = self._ctx.inbox.release(started_at + self._lease)
        if freed:
            log.warning("%s deliveries held by a stopped process freed", freed)
        return freed

    def drain(self, budget: timedelta) -> DrainReport:
        """Process batches until none is left, or until `budget` has passed after a batch."""
        started = self._ctx.clock.now()
        report = DrainReport()
        while batch := self._ctx.inbox.claim(self._ctx.clock.now(), self._lease, self._batch_size):
            try:
                outcomes = self._processor.process_batch(batch)
            except BaseException:
                self._give_back(batch)
                raise
            report = report.adding(outcomes)
            for observer in self.observers:
                observer(outcomes)
            if self._ctx.clock.now() - started >= budget:
                report = attrs.evolve(report, more=True)
                break
        if report.batches:
            log.info(
                "inbox drained: %s processed (%s superseded), %s failed, in %s batches%s",
                report.processed,
                report.superseded,
                report.failed,
                report.batches,
                "; more waiting" if report.more else "",
            )
        return report

    def _give_back(self, batch: Sequence[Delivery]) -> None:
        """A batch that failed is free again at once (what it settled was rolled back with
        it); if even that fails, its lease ends as usual."""
        try:
            self._ctx.inbox.give_back([delivery.id for delivery in batch])
        except Exception as error:
            log.warning("could not free the failed batch at once: %s", error)
