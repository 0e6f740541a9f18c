"""Running one job: its record moved through RUNNING to COMPLETED or FAILED around the use
case that does the work. See jobs.py for how jobs are submitted and retried."""

import logging
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from shipcrowd_woo.domain.errors import StoreBusy
from shipcrowd_woo.domain.ids import JobId
from shipcrowd_woo.domain.jobs import (
    AutoMapProducts,
    CheckWebhooks,
    ConfirmOrders,
    FulfilOrder,
    Job,
    JobRecord,
    JobState,
    PushInventory,
    PushStockChanges,
    ReconcileOrders,
    SyncMode,
    SyncOrders,
    attempt_failed,
    completed,
    job_store,
    started,
    touched,
)
from shipcrowd_woo.domain.sync_log import SyncLog
from shipcrowd_woo.log_context import bound
from shipcrowd_woo.ports.queue import ScheduleGuard
from shipcrowd_woo.services.auto_push import AutoPush
from shipcrowd_woo.services.confirmations import OrderConfirmations
from shipcrowd_woo.services.context import Records, ServiceContext
from shipcrowd_woo.services.fulfilments import Fulfilments
from shipcrowd_woo.services.inventory import InventorySync
from shipcrowd_woo.services.jobs import (
    Deferred,
    JobService,
    Summary,
    Transient,
    describe,
    is_transient,
)
from shipcrowd_woo.services.mappings import MappingService
from shipcrowd_woo.services.order_sync import OrderSync, SyncOutcome
from shipcrowd_woo.services.webhook_checks import WebhookChecks

log = logging.getLogger("shipcrowd_woo.jobs")


@attrs.frozen
class UseCases:
    """The use cases jobs run, built once per process (bootstrap.py builds them, and the
    entrypoints use the same)."""

    jobs: JobService
    confirmations: OrderConfirmations
    orders: OrderSync
    inventory: InventorySync
    mappings: MappingService
    checks: WebhookChecks
    fulfilments: Fulfilments


def use_cases(
    context: ServiceContext,
    jobs: JobService,
    guard: ScheduleGuard,
    auto_push: AutoPush | None = None,
) -> UseCases:
    """Each use case built once over the context; stock follows the warehouse by itself only
    with `auto_push`."""
    inventory = InventorySync(context, auto_push)
    confirmations = OrderConfirmations(context, jobs, guard)
    return UseCases(
        jobs=jobs,
        confirmations=confirmations,
        orders=OrderSync(context, confirmations),
        inventory=inventory,
        mappings=MappingService(context),
        checks=WebhookChecks(context),
        fulfilments=Fulfilments(context, jobs, inventory),
    )


class JobRunner:
    """Runs one job by id; called by the queue's workers."""

    def __init__(self, context: Records, run: UseCases, max_retries: int = 3) -> None:
        self._ctx = context
        self._run_by = run
        self._max_retries = max_retries
        self._handlers: Mapping[type, Callable[[Any], Summary]] = {
            SyncOrders: self._sync_orders,
            PushInventory: self._push_inventory,
            AutoMapProducts: self._auto_map,
            ReconcileOrders: self._reconcile,
            CheckWebhooks: self._check_webhooks,
            FulfilOrder: self._fulfil,
            PushStockChanges: self._push_stock_changes,
            ConfirmOrders: self._confirm_orders,
        }
        # What a kind of job leaves behind when it fails for good, beyond its record: a
        # fulfilment it was delivering is marked failed.
        self._on_giving_up: Mapping[type, Callable[[Any, str], None]] = {
            FulfilOrder: run.fulfilments.gave_up,
        }
        self.observers: list[Callable[[JobRecord], None]] = []

    def run(self, job_id: JobId, job: Job) -> JobRecord | None:
        """Run the job. Raises Transient when another attempt should follow and Deferred
        when it cannot start yet; returns the final record otherwise (None for a job whose
        record is gone). The attempts are counted on the record, so a job sent again (a lost
        message, a deferral) never gets more than 1 + max_retries of them."""
        with bound(
            job_id=job_id,
            store_id=job_store(job),
            company_id=job.company_id,
        ):
            try:
                return self._run(job_id, job)
            except (Transient, Deferred):
                raise
            except Exception as error:
                # The job's own bookkeeping failed (the database went away between two
                # transactions): nothing was decided, so the queue tries again.
                if is_transient(error):
                    log.warning("job %s could not be recorded: %s", job_id, describe(error))
                    raise Transient(describe(error)) from error
                raise

    def _run(self, job_id: JobId, job: Job) -> JobRecord | None:
        with self._ctx.uow_factory() as uow:
            queued = uow.jobs.find(job_id)
            if queued is None or queued.is_final:
                return queued
            record = started(queued, self._ctx.clock.now())
            uow.jobs.update(record)
            uow.commit()
        log.info("job %s (%s) started, attempt %s", job_id, record.kind, record.attempts)
        try:
            summary = self._handlers[type(job)](job)
        except StoreBusy as busy:
            self._save(queued)
            raise Deferred(str(busy)) from None
        except Exception as error:
            retry = is_transient(error) and record.attempts <= self._max_retries
            log.log(
                logging.WARNING if retry else logging.ERROR,
                "job %s (%s) attempt %s failed: %s",
                job_id,
                record.kind,
                record.attempts,
                describe(error),
            )
            ended = attempt_failed(record, self._ctx.clock.now(), describe(error), retry)
            self._save(ended)
            if retry:
                raise Transient(describe(error)) from error
            self._gave_up(job, describe(error))
            return ended
        ended = completed(record, self._ctx.clock.now(), summary)
        self._save(ended)
        log.info("job %s (%s) completed: %s", job_id, record.kind, summary)
        return ended

    def interrupted(self, job_id: JobId, reason: str) -> bool:
        """Record that the running attempt was cut short (its time limit); True when another
        attempt should follow, False when that was the last one (the job is FAILED)."""
        with self._ctx.uow_factory() as uow:
            record = uow.jobs.find(job_id)
        if record is None or record.state is not JobState.RUNNING:
            return False
        retry = record.attempts <= self._max_retries
        log.log(logging.WARNING if retry else logging.ERROR, "job %s: %s", job_id, reason)
        self._save(attempt_failed(record, self._ctx.clock.now(), reason, retry))
        if not retry:
            self._gave_up(record.job, reason)
        return retry

    def _gave_up(self, job: Job, reason: str) -> None:
        """A job failed for good: its kind settles what it leaves behind."""
        settle = self._on_giving_up.get(type(job))
        if settle is not None:
            settle(job, reason)

    def _save(self, record: JobRecord) -> None:
        record = touched(record, self._ctx.clock.now())
        with self._ctx.uow_factory() as uow:
            uow.jobs.update(record)
            uow.commit()
        for observer in self.observers:
            observer(record)

    def _sync_orders(self, job: SyncOrders) -> Summary:
        outcome = self._run_by.orders.run(job.company_id, job.store_id, job.mode, job.order_id)
        return _outcome_summary(outcome)

    def _push_inventory(self, job: PushInventory) -> Summary:
        outcome = self._run_by.inventory.push(job.company_id, job.store_id, job.skus)
        return _outcome_summary(outcome)

    def _push_stock_changes(self, job: PushStockChanges) -> Summary:
        return _outcome_summary(self._run_by.inventory.push_changes(job.company_id, job.store_id))

    def _confirm_orders(self, job: ConfirmOrders) -> Summary:
        report = self._run_by.confirmations.confirm(job.company_id, job.store_id)
        summary: Summary = dict(attrs.asdict(report))
        return summary

    def _fulfil(self, job: FulfilOrder) -> Summary:
        delivery = self._run_by.fulfilments.deliver(job)
        summary: Summary = {
            "fulfillment_id": delivery.fulfilment.id,
            "order_id": delivery.fulfilment.order_id,
            "state": delivery.fulfilment.state.value,
            "requests": delivery.requests,
        }
        if delivery.log is not None:
            summary["sync_log_id"] = delivery.log.id
        return summary

    def _auto_map(self, job: AutoMapProducts) -> Summary:
        report = self._run_by.mappings.auto_map(job.company_id, job.store_id)
        return {
            "catalogue_items": report.catalogue_items,
            "created": report.created,
            "refreshed": report.refreshed,
            "unmatched": report.unmatched,
            "ambiguous": len(report.ambiguous),
        }

    def _reconcile(self, job: ReconcileOrders) -> Summary:
        return _log_summary(self._run_by.orders.reconcile_deletions(job.company_id, job.store_id))

    def _check_webhooks(self, job: CheckWebhooks) -> Summary:
        check = self._run_by.checks.check(job.company_id, job.store_id)
        report = check.report
        summary: Summary = {
            "health": check.health.state.value,
            "sync_log_id": check.log.id,
            "kept": len(report.kept),
            "created": len(report.created),
            "reactivated": len(report.reactivated),
            "failed": len(report.failed),
            "removed_strays": report.removed_strays,
        }
        if check.deliveries_may_be_lost:
            follow_up = SyncOrders(job.company_id, job.store_id, SyncMode.INCREMENTAL)
            summary["sync_job_id"] = self._run_by.jobs.submit(job.company_id, follow_up).id
        return summary


def _outcome_summary(outcome: SyncOutcome) -> Summary:
    if outcome.log is None:
        return {"not_run": outcome.skipped}
    return _log_summary(outcome.log)


def _log_summary(sync_log: SyncLog) -> Summary:
    summary: Summary = {
        "sync_log_id": sync_log.id,
        "status": sync_log.status.value,
        "processed": sync_log.processed,
        "synced": sync_log.synced,
        "skipped": sync_log.skipped,
        "failed": sync_log.failed,
    }
    for key in ("created", "updated", "batch_requests", "marked_deleted", "imported"):
        if key in sync_log.metadata:
            summary[key] = sync_log.metadata[key]
    return summary
