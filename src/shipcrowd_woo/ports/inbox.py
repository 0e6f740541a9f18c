"""The webhook inbox as the intake and the drain use it: each call is one short statement or
transaction of its own, outside any unit of work, because these are the hottest paths of the
integration (one call per delivery, one per batch)."""

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from shipcrowd_woo.domain.ids import DeliveryId
from shipcrowd_woo.domain.store import Webhook
from shipcrowd_woo.domain.webhooks import Delivery, Kept
from shipcrowd_woo.ports.repositories import CompanyWebhook


class Inbox(Protocol):
    """Where verified deliveries wait for the workers."""

    def senders(self, source_url: str, woo_webhook_id: int) -> Sequence[CompanyWebhook]:
        """The active webhooks with this WooCommerce id of the active stores at
        `source_url` (one per company that connected the store), each with its company.
        Reads without taking any write lock."""
        ...

    def keep(self, delivery: Delivery, sender: Webhook, source_url: str, seen: bool) -> Kept:
        """Keep a delivery, durably once this returns NEW — in the same statement as the
        check that it was verified against what is still true: `sender` active with that very
        sealed secret, on the delivery's store, active at `source_url` (SENDER_CHANGED when
        not). DUPLICATE when the same store, topic and body is kept already. With `seen`, the
        last-delivery times of the webhook and of its store move forward to the delivery's,
        in the same transaction."""
        ...

    def claim(self, now: datetime, lease: timedelta, limit: int) -> Sequence[Delivery]:
        """Up to `limit` received deliveries that nobody holds (or whose holder's lease ran
        out), oldest first, now held until `now + lease`: a worker that dies holding them
        leaves them to the next once the lease ends."""
        ...

    def give_back(self, ids: Collection[DeliveryId]) -> int:
        """Free the leases of those still received at once (their drain failed: the next
        may take them now rather than when the lease ends); how many."""
        ...

    def release(self, leased_until_before: datetime) -> int:
        """Free the received deliveries whose lease ends before that moment (their holder
        died); how many."""
        ...

    def waiting(self, received_before: datetime) -> int:
        """How many deliveries received before that moment are still waiting."""
        ...
