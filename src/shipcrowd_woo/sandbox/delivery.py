"""Webhook delivery as WooCommerce does it (includes/class-wc-webhook.php).

- Deliveries are queued (Action Scheduler) and sent by a background worker; a resource with a
  delivery already pending for a webhook is not queued twice, and the payload is built when
  the delivery is sent, so an `order.created` can arrive already paid.
- POST, JSON body `trim(wp_json_encode(payload))` (slashes escaped, non-ASCII as \\uXXXX),
  headers X-WC-Webhook-Source/-Topic/-Resource/-Event/-Signature/-ID/-Delivery-ID; the
  signature is base64 of the binary HMAC-SHA256 of the body with the HTML-entity-decoded secret;
  the Delivery-ID is a hash of the webhook id and the current second, so it repeats.
- A `deleted` event carries only `{"id": N}`.
- Each delivery is a request of its own: `deliver()` asks for `'httpversion' => '1.0'`, so
  every delivery is an HTTP/1.0 request on a connection of its own, closed after the answer.
  The sandbox sends it so too, with the standard library's client: a third of httpx's CPU time
  a request, which matters when the sandbox shares the cores it is measured on.
- Success is HTTP 200-302. `failed_delivery()`: when the failure count is already above 5 the
  webhook becomes `disabled`, otherwise the count goes up — the seventh consecutive failure
  disables it. There are no retries.
- The ping on creation (`deliver_ping`) is a form body `webhook_id=N` with no X-WC headers.
"""

import base64
import hashlib
import hmac
import http.client
import json
import logging
import queue
import threading
from typing import Any
from urllib.parse import urlsplit

from shipcrowd_woo.sandbox.store import SandboxStore, WebhookRecord

log = logging.getLogger("shipcrowd_woo.sandbox.delivery")
MAX_DELIVERY_FAILURES = 5


def wp_json_encode(payload: Any) -> bytes:
    """PHP's json_encode defaults: `\\/` for slashes, `\\uXXXX` for non-ASCII."""
    return json.dumps(payload, separators=(",", ":"), default=str).replace("/", "\\/").encode()


def signature(body: bytes, secret: str) -> str:
    """`base64_encode( hash_hmac( 'sha256', $body, $secret, true ) )`."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def delivery_headers(
    source: str, topic: str, webhook_id: int, body_signature: str, delivery_id: str
) -> dict[str, str]:
    """The headers `deliver()` sends with a delivery, User-Agent aside."""
    resource, _, event = topic.partition(".")
    return {
        "Content-Type": "application/json",
        "X-WC-Webhook-Source": source,
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": resource,
        "X-WC-Webhook-Event": event,
        "X-WC-Webhook-Signature": body_signature,
        "X-WC-Webhook-ID": str(webhook_id),
        "X-WC-Webhook-Delivery-ID": delivery_id,
    }


class _Http10Connection(http.client.HTTPConnection):
    _http_vsn = 10
    _http_vsn_str = "HTTP/1.0"


class _Http10sConnection(http.client.HTTPSConnection):
    _http_vsn = 10
    _http_vsn_str = "HTTP/1.0"


class Deliverer:
    """Sends queued webhook deliveries from background threads: one by default, as
    WooCommerce's Action Scheduler runs one queue at a time; `runners` of them like a store
    that allows concurrent batches (action_scheduler_queue_runner_concurrent_batches)."""

    def __init__(self, store: SandboxStore, timeout: float = 10.0, runners: int = 1) -> None:
        self._store = store
        self._queue: queue.Queue[tuple[int, int] | None] = queue.Queue()
        self._pending: set[tuple[int, int]] = set()
        self._lock = threading.Lock()
        self._timeout = timeout
        self._threads = [
            threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
            for _ in range(runners)
        ]
        self.sent: list[dict[str, Any]] = []
        store.listeners.append(self.enqueue)
        for thread in self._threads:
            thread.start()

    def enqueue(self, topic: str, resource_id: int) -> None:
        """Queue a delivery for every active webhook of `topic`."""
        with self._store.lock:
            hooks = [w for w in self._store.webhooks.values() if w.topic == topic]
        for webhook in hooks:
            if webhook.status != "active" or not webhook.delivery_url:
                continue
            job = (webhook.id, resource_id)
            with self._lock:
                if job in self._pending:
                    continue
                self._pending.add(job)
            self._queue.put(job)

    def flush(self) -> None:
        """Wait until every queued delivery has been sent."""
        self._queue.join()

    def close(self) -> None:
        """Stop the runners after what is queued."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()

    def ping(self, webhook: WebhookRecord) -> int | None:
        """`deliver_ping()`: the status code the delivery URL answered, None if unreachable."""
        try:
            return self._post(
                webhook.delivery_url,
                f"webhook_id={webhook.id}".encode(),
                {"Content-Type": "application/x-www-form-urlencoded"},
            )
        except (OSError, http.client.HTTPException):
            return None

    def deliver_now(self, webhook: WebhookRecord, resource_id: int) -> int | None:
        """Send one delivery and account for its outcome like `log_delivery()`."""
        resource, _, event = webhook.topic.partition(".")
        payload = (
            {"id": resource_id}
            if event == "deleted"
            else self._store.payload(resource, resource_id) or {"id": resource_id}
        )
        body = wp_json_encode(payload).strip()
        second = int(self._store.clock().timestamp())
        headers = delivery_headers(
            self._store.base_url + "/",
            webhook.topic,
            webhook.id,
            signature(body, self._store.signing_secret(webhook)),
            hashlib.md5(f"{webhook.id}{second}".encode(), usedforsecurity=False).hexdigest(),
        )
        try:
            status: int | None = self._post(webhook.delivery_url, body, headers)
        except (OSError, http.client.HTTPException) as error:
            log.info("delivery of %s to webhook %s failed: %s", webhook.topic, webhook.id, error)
            status = None
        with self._store.lock:
            if status is not None and 200 <= status < 303:
                webhook.failure_count = 0
            elif webhook.failure_count > MAX_DELIVERY_FAILURES:
                webhook.status = "disabled"
            else:
                webhook.failure_count += 1
            self.sent.append(
                {
                    "webhook_id": webhook.id,
                    "topic": webhook.topic,
                    "resource_id": resource_id,
                    "status": status,
                    "body": body,
                    "headers": headers,
                }
            )
        return status

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            try:
                with self._lock:
                    self._pending.discard(job)
                webhook = self._store.webhooks.get(job[0])
                if webhook is not None and webhook.status == "active":
                    self.deliver_now(webhook, job[1])
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST `body` as HTTP/1.0 on a new connection; the status code answered. Redirects
        are not followed (`'redirection' => 0`)."""
        target = urlsplit(url)
        connection_class = _Http10sConnection if target.scheme == "https" else _Http10Connection
        connection = connection_class(target.netloc, timeout=self._timeout)
        path = target.path or "/"
        try:
            connection.request(
                "POST",
                f"{path}?{target.query}" if target.query else path,
                body=body,
                headers={**headers, "User-Agent": self._user_agent(), "Connection": "close"},
            )
            with connection.getresponse() as response:
                response.read()
                return response.status
        finally:
            connection.close()

    def _user_agent(self) -> str:
        return f"WooCommerce/{self._store.wc_version} Hookshot (WordPress/{self._store.wp_version})"
