"""Taking in webhook deliveries: verify, keep — and answer at once.

WooCommerce never retries a delivery and disables a webhook after repeated failures, so the
intake does as little as it safely can: the webhook the delivery names found (read once, then
remembered), its signature checked with that webhook's secret, and one insert of the exact bytes
into the inbox (deduplicated by store, topic and body hash — never by X-WC-Webhook-Delivery-ID,
which repeats within a second). The insert itself checks that the webhook still holds (active,
with the secret the delivery was verified with, on its active store at that URL), so a
remembered webhook answers for nothing that changed: when the insert refuses, the webhook is
read again and the delivery judged afresh. Workers drain the inbox in batches
(services/inbox.py); the intake only wakes them, at most one wake waiting at a time. Nothing of
an unverified request is stored or logged.
"""

import enum
import re
import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

import attrs

from shipcrowd_woo.domain.ids import DeliveryId
from shipcrowd_woo.domain.json_text import JsonRefused, parse_json
from shipcrowd_woo.domain.secrets import EncryptedSecret, Secret
from shipcrowd_woo.domain.store import Webhook
from shipcrowd_woo.domain.store_url import InvalidStoreUrl, normalise_store_url
from shipcrowd_woo.domain.webhooks import (
    Delivery,
    DeliveryMalformed,
    DeliveryNotAuthentic,
    DeliveryRefused,
    Kept,
    NotAWebhookEndpoint,
    Topic,
    body_digest,
    signature_matches,
    topic_of,
)
from shipcrowd_woo.ports.queue import TaskQueue
from shipcrowd_woo.ports.repositories import CompanyWebhook
from shipcrowd_woo.services.context import Intake

_PING = re.compile(rb"webhook_id=\d{1,20}")
HEADERS = (
    "X-WC-Webhook-Signature",
    "X-WC-Webhook-ID",
    "X-WC-Webhook-Source",
    "X-WC-Webhook-Topic",
    "X-WC-Webhook-Resource",
    "X-WC-Webhook-Event",
)
MAX_HEADER_LENGTH = 2048
LAST_DELIVERY_RESOLUTION = timedelta(minutes=1)
# Eight webhooks a store: room for a few thousand stores per process.
MAX_OPENED_SECRETS = 32_768
MAX_REMEMBERED_SENDERS = 32_768
# Reads of the senders for one delivery whose webhook changed while it was judged; past this
# the webhook is being replaced as it delivers, and the delivery is refused.
MAX_READS = 3


class Verdict(enum.Enum):
    """What the intake did with a request."""

    PING = "ping"
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"


@attrs.frozen
class IntakeResult:
    """The verdict, the topic, and the id of what was kept."""

    verdict: Verdict
    topic: Topic | None = None
    delivery_id: DeliveryId | None = None
    store_id: str | None = None


@attrs.frozen
class _Signed:
    """A signed request, read once from its headers, judged against webhooks."""

    topic: Topic
    source_url: str
    woo_webhook_id: int
    signature: str
    claimed_topic: str
    body: bytes
    received_at: datetime

    @property
    def senders_key(self) -> tuple[str, int]:
        return (self.source_url, self.woo_webhook_id)


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name) or ""
    return value.strip() if len(value) <= MAX_HEADER_LENGTH else ""


class WebhookIntake:
    """The intake use case."""

    def __init__(self, context: Intake, queue: TaskQueue) -> None:
        self._ctx = context
        self._queue = queue
        self._decoy = context.secrets.seal(Secret(secrets.token_urlsafe(32)))
        self._opened_secrets: dict[EncryptedSecret, str] = {}
        # Senders of recent deliveries by (source URL, WooCommerce webhook id). Only senders
        # that exist are remembered (a refused request costs a read whatever it names), and
        # the insert re-checks each (see the module's doc).
        self._senders: dict[tuple[str, int], Sequence[CompanyWebhook]] = {}

    def _opened(self, sealed: EncryptedSecret) -> str:
        """The webhook secret, opened once per sealed value: a secret re-registered or
        re-sealed (key rotation) is a new sealed value read with the webhook on every
        delivery, so the cache never answers for a secret that was replaced."""
        opened = self._opened_secrets.get(sealed)
        if opened is None:
            if len(self._opened_secrets) >= MAX_OPENED_SECRETS:
                self._opened_secrets.clear()
            opened = self._opened_secrets[sealed] = self._ctx.secrets.open(sealed).reveal()
        return opened

    def accept(
        self,
        resource: str,
        event: str,
        headers: Mapping[str, str],
        body: bytes,
        received_at: datetime,
    ) -> IntakeResult:
        """Judge one request (`headers` keyed case-insensitively)."""
        topic = topic_of(resource, event)
        if topic is None:
            raise NotAWebhookEndpoint("no such webhook endpoint")
        signature = _header(headers, "X-WC-Webhook-Signature")
        if not signature and not _header(headers, "X-WC-Webhook-Topic"):
            if _PING.fullmatch(body.strip()):
                # deliver_ping(): a bare form body on webhook creation; only a 200 counts.
                return IntakeResult(Verdict.PING, topic)
            raise DeliveryNotAuthentic("unsigned request")
        raw_id = _header(headers, "X-WC-Webhook-ID")
        source = _header(headers, "X-WC-Webhook-Source")
        well_formed_id = raw_id.isascii() and raw_id.isdecimal() and len(raw_id) <= 18
        if not signature or not well_formed_id or not source:
            raise DeliveryNotAuthentic("missing or malformed webhook headers")
        try:
            source_url = normalise_store_url(source)
        except InvalidStoreUrl:
            raise DeliveryNotAuthentic("unknown source") from None
        request = _Signed(
            topic,
            source_url,
            int(raw_id),
            signature,
            _header(headers, "X-WC-Webhook-Topic"),
            body,
            received_at,
        )
        key = request.senders_key
        candidates = self._senders.get(key)
        fresh = candidates is None
        refused: tuple[DeliveryRefused, Sequence[CompanyWebhook]] | None = None
        for _ in range(MAX_READS + 1):
            if candidates is None:
                candidates, fresh = self._read_senders(request), True
                if refused is not None and _same_senders(candidates, refused[1]):
                    # Refused by what was remembered, and nothing changed: the refusal
                    # stands without a second HMAC, so a forgery costs no more for a store
                    # that delivers than for one never connected (one read, one HMAC).
                    raise refused[0]
            try:
                result = self._keep(candidates, request)
            except DeliveryRefused as refusal:
                if fresh:
                    raise
                result, refused = None, (refusal, candidates)
            if result is not None:
                return result
            # Judged by webhooks that changed since: read them again and judge afresh.
            self._senders.pop(key, None)
            candidates = None
        raise DeliveryNotAuthentic("the webhook kept changing while the delivery was judged")

    def _read_senders(self, request: _Signed) -> Sequence[CompanyWebhook]:
        """The senders the request names, read and remembered; 401 when there are none. A
        refused source costs what a connected one does — one read, an opened secret and an
        HMAC — or answering sooner would tell which stores are connected."""
        candidates = self._ctx.inbox.senders(*request.senders_key)
        if not candidates:
            signature_matches(request.body, self._opened(self._decoy), request.signature)
            raise DeliveryNotAuthentic("signature does not match")
        if len(self._senders) >= MAX_REMEMBERED_SENDERS:
            self._senders.clear()
        self._senders[request.senders_key] = candidates
        return candidates

    def _keep(self, candidates: Sequence[CompanyWebhook], request: _Signed) -> IntakeResult | None:
        """Verify the delivery against `candidates` and keep it; None when the webhook it was
        verified against changed since `candidates` were read (nothing kept)."""
        body, topic = request.body, request.topic
        verified = [
            (company_id, webhook)
            for company_id, webhook in candidates
            if signature_matches(body, self._opened(webhook.secret), request.signature)
        ]
        if not verified:
            raise DeliveryNotAuthentic("signature does not match")
        company_id, webhook = verified[0]
        claimed = request.claimed_topic
        if webhook.topic is not topic or (claimed and claimed != topic.value):
            raise DeliveryMalformed("the topic does not match the endpoint")
        if not _is_json_object(body):
            raise DeliveryMalformed("the body is not a JSON object")
        delivery = Delivery(
            id=DeliveryId(self._ctx.new_id()),
            company_id=company_id,
            store_id=webhook.store_id,
            topic=topic,
            woo_webhook_id=request.woo_webhook_id,
            body=body,
            body_sha256=body_digest(body),
            received_at=request.received_at,
        )
        seen = _worth_recording(webhook.last_delivery_at, request.received_at)
        kept = self._ctx.inbox.keep(delivery, webhook, request.source_url, seen)
        if kept is Kept.SENDER_CHANGED:
            return None
        if kept is Kept.DUPLICATE:
            return IntakeResult(Verdict.DUPLICATE, topic, store_id=webhook.store_id)
        if seen:
            self._remember_seen(request, webhook)
        self._queue.wake_inbox()
        return IntakeResult(Verdict.ACCEPTED, topic, delivery.id, webhook.store_id)

    def _remember_seen(self, request: _Signed, webhook: Webhook) -> None:
        """The remembered webhook's last-delivery time moves with the row's, so the next
        delivery within the minute does not write it again."""
        remembered = self._senders.get(request.senders_key)
        if remembered is not None:
            at = request.received_at
            self._senders[request.senders_key] = [
                (company_id, attrs.evolve(w, last_delivery_at=at) if w.id == webhook.id else w)
                for company_id, w in remembered
            ]


def _same_senders(one: Sequence[CompanyWebhook], other: Sequence[CompanyWebhook]) -> bool:
    """The same webhooks with the same sealed secrets (last-delivery times aside)."""
    return [(c, w.id, w.secret) for c, w in one] == [(c, w.id, w.secret) for c, w in other]


def _worth_recording(last: datetime | None, now: datetime) -> bool:
    """Last-delivery times are kept to the minute: writing the store's and the webhook's row
    on every delivery serialised a store's deliveries on two hot rows for a time that only
    health checks (hour-scale) and people read."""
    return last is None or now - last >= LAST_DELIVERY_RESOLUTION


def _is_json_object(body: bytes) -> bool:
    try:
        return isinstance(parse_json(body), dict)
    except JsonRefused:
        return False
