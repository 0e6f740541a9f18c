"""Prometheus metrics, in a registry of their own per process (so tests can build many)."""

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from shipcrowd_woo.domain.jobs import JobRecord, JobState
from shipcrowd_woo.domain.subscriptions import SubscriptionState
from shipcrowd_woo.services.subscriptions import SubscriptionReading
from shipcrowd_woo.services.webhooks import ProcessOutcome


class Metrics:
    """What operators watch: deliveries, intake latency, sync runs, orders, stock pushes,
    queue depth, the order feed."""

    def __init__(
        self,
        queue_depth: Callable[[], int] | None = None,
        unhealthy_stores: Callable[[], int] | None = None,
        inbox_waiting: Callable[[], int] | None = None,
        feed_kept: Callable[[], int] | None = None,
        subscriptions: Callable[[], Sequence[SubscriptionReading]] | None = None,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.deliveries = self._counter(
            "shipcrowd_woo_webhook_deliveries",
            "Webhook deliveries by topic and result",
            ["topic", "result"],
        )
        self.intake_seconds = Histogram(
            "shipcrowd_woo_webhook_intake_seconds",
            "Time to answer a webhook delivery",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=self.registry,
        )
        self.settled = self._counter(
            "shipcrowd_woo_webhook_deliveries_settled",
            "Deliveries the inbox drain settled: processed, superseded (coalesced) or failed",
            ["outcome"],
        )
        self.jobs = self._counter(
            "shipcrowd_woo_jobs", "Finished background jobs by kind and state", ["kind", "state"]
        )
        self.sync_runs = self._counter(
            "shipcrowd_woo_sync_runs", "Sync runs by type and status", ["type", "status"]
        )
        self.orders = self._counter(
            "shipcrowd_woo_orders", "Orders imported, updated or skipped", ["outcome"]
        )
        self.inventory_items = self._counter(
            "shipcrowd_woo_inventory_items", "Stock levels pushed or failed", ["result"]
        )
        self._read_at_scrape(
            "shipcrowd_woo_queue_depth", "Messages waiting in the job queue", queue_depth
        )
        self._read_at_scrape(
            "shipcrowd_woo_stores_with_unhealthy_webhooks",
            "Connected stores whose last webhook check left a webhook disabled or missing",
            unhealthy_stores,
        )
        self._read_at_scrape(
            "shipcrowd_woo_inbox_waiting",
            "Webhook deliveries kept and not yet processed",
            inbox_waiting,
        )
        self._read_at_scrape(
            "shipcrowd_woo_feed_events_kept",
            "Events of the order feed appended and not yet purged (every company's)",
            feed_kept,
        )
        if subscriptions is not None:
            self.registry.register(SubscriptionCollector(subscriptions))
        self.webhook_repairs = self._counter(
            "shipcrowd_woo_webhook_repairs",
            "Webhooks a health check reactivated or recreated",
            ["action"],
        )

    def _counter(self, name: str, summary: str, labels: list[str]) -> Counter:
        return Counter(name, summary, labels, registry=self.registry)

    def _read_at_scrape(self, name: str, summary: str, read: Callable[[], int] | None) -> None:
        """A gauge whose value `read` gives when scraped (none without a reader)."""
        gauge = Gauge(name, summary, registry=self.registry)
        if read is not None:
            gauge.set_function(read)

    def observe_job(self, record: JobRecord) -> None:
        """Count a job that reached a final state (a runner observer)."""
        if record.state not in (JobState.COMPLETED, JobState.FAILED):
            return
        self.jobs.labels(record.kind, record.state.value).inc()
        summary = record.summary
        status = summary.get("status")
        pushes = ("push_inventory", "push_stock_changes")
        if record.kind in ("sync_orders", "reconcile_orders", *pushes) and status:
            kind = "inventory" if record.kind in pushes else "order"
            self.sync_runs.labels(kind, str(status)).inc()
        if record.kind == "sync_orders":
            for outcome, key in (
                ("imported", "created"),
                ("updated", "updated"),
                ("skipped", "skipped"),
            ):
                self.orders.labels(outcome).inc(float(summary.get(key) or 0))
        if record.kind == "check_webhooks":
            for action in ("reactivated", "created"):
                self.webhook_repairs.labels(action).inc(float(summary.get(action) or 0))
        if record.kind in pushes:
            self.inventory_items.labels("pushed").inc(float(summary.get("synced") or 0))
            self.inventory_items.labels("failed").inc(float(summary.get("failed") or 0))

    def observe_drain(self, outcomes: Mapping[Any, ProcessOutcome]) -> None:
        """Count a batch the inbox drain settled (a drain observer)."""
        for outcome in outcomes.values():
            if outcome.superseded:
                self.settled.labels("superseded").inc()
            else:
                self.settled.labels(outcome.state.value).inc()

    def time_intake(self) -> "_Timer":
        """Measure one delivery."""
        return _Timer(self.intake_seconds)


class _Timer:
    def __init__(self, histogram: Histogram) -> None:
        self._histogram = histogram

    def __enter__(self) -> None:
        self._start = time.perf_counter()

    def __exit__(self, *_: object) -> None:
        self._histogram.observe(time.perf_counter() - self._start)


class SubscriptionCollector(Collector):
    """Each push subscription's backlog, failures in a row and whether it is disabled,
    read from the database when scraped (labelled by subscription and company)."""

    def __init__(self, read: Callable[[], Sequence[SubscriptionReading]]) -> None:
        self._read = read

    def describe(self) -> list[Metric]:
        """Nothing at registration (the registry must not read the database then)."""
        return []

    def collect(self) -> Iterator[Metric]:
        """The gauges, one sample per subscription."""
        labels = ["subscription_id", "company_id"]
        backlog = GaugeMetricFamily(
            "shipcrowd_woo_subscription_backlog",
            "Events of the feed waiting for a push subscription",
            labels=labels,
        )
        failures = GaugeMetricFamily(
            "shipcrowd_woo_subscription_failures",
            "Failed attempts in a row of a push subscription's next event",
            labels=labels,
        )
        disabled = GaugeMetricFamily(
            "shipcrowd_woo_subscription_disabled",
            "1 when a push subscription was disabled (failing for too long, or 410 Gone)",
            labels=labels,
        )
        for reading in self._read():
            subscription = reading.subscription
            values = [subscription.id, subscription.company_id]
            backlog.add_metric(values, reading.backlog)
            failures.add_metric(values, subscription.failures)
            disabled.add_metric(values, subscription.state is SubscriptionState.DISABLED)
        yield from (backlog, failures, disabled)
