"""The webhook health check: repair what the store disabled or lost, say how it stands.

A check does what `register_webhooks` does (reactivate, recreate, remove strays of this
installation), then records the finding on the store and as a sync log of type `webhook`.
When it had to repair anything, deliveries may have been lost meanwhile: the caller queues an
incremental order import (WooCommerce does not resend what failed).
"""

import logging
from datetime import datetime

import attrs

from shipcrowd_woo.domain.errors import StoreClientError
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.store import Store
from shipcrowd_woo.domain.sync_log import SyncLog, SyncType, finish_sync, record_items
from shipcrowd_woo.domain.webhook_health import CheckFindings, WebhookHealth, health_after_check
from shipcrowd_woo.services.context import ServiceContext
from shipcrowd_woo.services.stores import StoreService, WebhookReport
from shipcrowd_woo.services.sync_logs import open_sync_log

log = logging.getLogger("shipcrowd_woo.webhooks")


@attrs.frozen
class WebhookCheck:
    """A check's report, the health it left and its sync log."""

    report: WebhookReport
    health: WebhookHealth
    log: SyncLog
    # The URL the store answered under before the check found its home had moved.
    moved_from: str | None = None

    @property
    def deliveries_may_be_lost(self) -> bool:
        """Something was disabled or missing, or the store moved (its deliveries named a
        source we did not know): changes meanwhile may have sent no delivery we took."""
        return bool(self.report.found_disabled or self.report.created or self.moved_from)


def findings_of(report: WebhookReport) -> CheckFindings:
    """What the store's webhooks were like before the check, and what stayed broken."""
    disabled = frozenset(report.found_disabled)
    unrepaired = frozenset(topic for topic, _ in report.failed)
    missing = frozenset(report.created) | (unrepaired - disabled)
    return CheckFindings(disabled=disabled, missing=missing, unrepaired=unrepaired)


@attrs.define(eq=False)
class WebhookChecks:
    """Check one store's webhooks now."""

    # The whole context: a check repairs through the store service, which registers webhooks.
    _ctx: ServiceContext

    def check(self, company_id: CompanyId, store_id: StoreId) -> WebhookCheck:
        """Repair the store's webhooks as registering does, and record how they stand."""
        stores = StoreService(self._ctx)
        store = stores.get(company_id, store_id)
        started = self._ctx.clock.now()
        moved_from = self._follow_home(stores, store)
        report = stores.register_webhooks(company_id, store_id)
        now = self._ctx.clock.now()
        health = health_after_check(store.webhook_health, findings_of(report), now)
        sync_log = self._log(store, report, health, started, moved_from)
        with self._ctx.uow_factory() as uow:
            uow.stores.record_webhook_check(store_id, health)
            uow.sync_logs.add(sync_log)
            uow.commit()
        check = WebhookCheck(report, health, sync_log, moved_from)
        if check.deliveries_may_be_lost or health.is_unhealthy:
            log.warning(
                "webhooks of store %s were %s: %s reactivated, %s recreated, %s not repaired",
                store_id,
                health.state.value,
                len(report.reactivated),
                len(report.created),
                len(report.failed),
            )
        return check

    @staticmethod
    def _follow_home(stores: StoreService, store: Store) -> str | None:
        """The old URL when the store's home moved and the stored key works at the new one;
        None otherwise. A store that cannot say who it is right now is still repaired."""
        try:
            moved = stores.follow_home(store)
        except StoreClientError as error:
            log.warning("could not read the REST index of %s: %s", store.url, error.detail)
            return None
        return store.url if moved.url != store.url else None

    def unhealthy_stores(self) -> int:
        """How many connected stores were left with a webhook disabled or missing."""
        with self._ctx.reads() as uow:
            return uow.stores.count_webhooks_unhealthy()

    def _log(
        self,
        store: Store,
        report: WebhookReport,
        health: WebhookHealth,
        started: datetime,
        moved_from: str | None,
    ) -> SyncLog:
        opened = open_sync_log(
            self._ctx,
            store,
            SyncType.WEBHOOK,
            {
                "mode": "check",
                "state": health.state.value,
                "kept": len(report.kept),
                "reactivated": len(report.reactivated),
                "created": len(report.created),
                "removed_strays": report.removed_strays,
                **({"home_moved_from": moved_from} if moved_from else {}),
            },
            started,
        )
        counted = record_items(
            opened,
            synced=len(report.reactivated) + len(report.created),
            skipped=len(report.kept),
            failed=len(report.failed),
            errors=[f"{topic.value}: {detail}" for topic, detail in report.failed],
        )
        return finish_sync(counted, self._ctx.clock.now())
