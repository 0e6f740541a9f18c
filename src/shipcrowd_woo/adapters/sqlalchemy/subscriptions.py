"""Push subscriptions in SQL, and the holds deliverers take on them.

A claim is a conditional UPDATE (held by nobody, or the hold lapsed): at READ COMMITTED a
second claimant waits for the first's row lock and then finds the condition false, and
SQLite has one writer at a time, so one deliverer holds a subscription on either database.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import orjson
from sqlalchemy import CursorResult, delete, or_, select, update

from shipcrowd_woo.adapters.sqlalchemy.statements import OnSession
from shipcrowd_woo.adapters.sqlalchemy.tables import FeedHeadRow, SubscriptionRow, table_of
from shipcrowd_woo.domain.feed import EventType
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.secrets import EncryptedSecret
from shipcrowd_woo.domain.subscriptions import (
    Subscription,
    SubscriptionNotFound,
    SubscriptionState,
)

SUBSCRIPTIONS = table_of(SubscriptionRow)
HEADS = table_of(FeedHeadRow)
# What a claim looks at per query: a few, in case others take the first meanwhile.
CLAIM_CANDIDATES = 5


def _owned(subscription: Subscription) -> dict[str, Any]:
    """The columns its owner changes (settings, secrets, enabling), never the cursor."""
    previous = subscription.previous_secret
    return {
        "url": subscription.url,
        "types": orjson.dumps(sorted(t.value for t in subscription.types)).decode(),
        "store_ids": orjson.dumps(sorted(subscription.store_ids)).decode(),
        "secret_key_id": subscription.secret.key_id,
        "secret_sealed": subscription.secret.ciphertext,
        "previous_secret_key_id": None if previous is None else previous.key_id,
        "previous_secret_sealed": None if previous is None else previous.ciphertext,
        "previous_until": subscription.previous_until,
        **_delivery_state(subscription),
    }


def _delivery_state(subscription: Subscription) -> dict[str, Any]:
    return {
        "state": subscription.state.value,
        "failures": subscription.failures,
        "failing_since": subscription.failing_since,
        "next_attempt_at": subscription.next_attempt_at,
        "disabled_at": subscription.disabled_at,
    }


def _progress(subscription: Subscription) -> dict[str, Any]:
    """The columns delivering changes."""
    return {
        **_delivery_state(subscription),
        "after": subscription.after,
        "last_error": subscription.last_error,
        "last_delivered_at": subscription.last_delivered_at,
    }


def _subscription_of(row: Any) -> Subscription:
    previous = (
        None
        if row.previous_secret_key_id is None
        else EncryptedSecret(row.previous_secret_key_id, row.previous_secret_sealed)
    )
    return Subscription(
        id=row.id,
        company_id=CompanyId(row.company_id),
        url=row.url,
        types=frozenset(EventType(value) for value in orjson.loads(row.types)),
        store_ids=frozenset(StoreId(value) for value in orjson.loads(row.store_ids)),
        secret=EncryptedSecret(row.secret_key_id, row.secret_sealed),
        created_at=row.created_at,
        after=row.after,
        state=SubscriptionState(row.state),
        previous_secret=previous,
        previous_until=row.previous_until,
        failures=row.failures,
        failing_since=row.failing_since,
        next_attempt_at=row.next_attempt_at,
        last_error=row.last_error,
        last_delivered_at=row.last_delivered_at,
        disabled_at=row.disabled_at,
    )


class SqlAlchemySubscriptionRepository(OnSession):
    """Subscriptions in SQL."""

    def add(self, subscription: Subscription) -> None:
        """Insert a subscription."""
        self._session.execute(
            SUBSCRIPTIONS.insert().values(
                {
                    "id": subscription.id,
                    "company_id": subscription.company_id,
                    "created_at": subscription.created_at,
                    **_owned(subscription),
                    **_progress(subscription),
                }
            )
        )

    def get(self, company_id: CompanyId, subscription_id: str) -> Subscription:
        """The company's subscription (SubscriptionNotFound)."""
        row = self._session.execute(
            select(SUBSCRIPTIONS).where(
                SUBSCRIPTIONS.c.id == subscription_id, SUBSCRIPTIONS.c.company_id == company_id
            )
        ).first()
        if row is None:
            raise SubscriptionNotFound(f"subscription {subscription_id}")
        return _subscription_of(row)

    def listed(self, company_id: CompanyId) -> Sequence[Subscription]:
        """The company's subscriptions, oldest first."""
        return self._ordered(SUBSCRIPTIONS.c.company_id == company_id)

    def every(self) -> Sequence[Subscription]:
        """Every company's subscriptions, oldest first."""
        return self._ordered()

    def _ordered(self, *where: Any) -> Sequence[Subscription]:
        rows = self._session.execute(
            select(SUBSCRIPTIONS)
            .where(*where)
            .order_by(SUBSCRIPTIONS.c.created_at, SUBSCRIPTIONS.c.id)
        )
        return [_subscription_of(row) for row in rows]

    def remove(self, company_id: CompanyId, subscription_id: str) -> None:
        """Delete the company's subscription (SubscriptionNotFound)."""
        result = self._session.execute(
            delete(SUBSCRIPTIONS).where(
                SUBSCRIPTIONS.c.id == subscription_id, SUBSCRIPTIONS.c.company_id == company_id
            )
        )
        if cast(CursorResult[Any], result).rowcount == 0:
            raise SubscriptionNotFound(f"subscription {subscription_id}")

    def save(self, subscription: Subscription) -> None:
        """Save what its owner changed (the cursor is the deliverer's to move), and drop
        the hold: a delivery under way stops at its next step instead of writing its older
        state over this one."""
        self._session.execute(
            update(SUBSCRIPTIONS)
            .where(SUBSCRIPTIONS.c.id == subscription.id)
            .values(holder=None, held_until=None, **_owned(subscription))
        )

    def claim(self, now: datetime, holder: str, until: datetime) -> Subscription | None:
        """Hold one due subscription with events after its cursor, the one taken longest
        ago first."""
        candidates = self._session.execute(
            select(SUBSCRIPTIONS.c.id)
            .join(HEADS, HEADS.c.company_id == SUBSCRIPTIONS.c.company_id)
            .where(
                SUBSCRIPTIONS.c.state == SubscriptionState.ACTIVE.value,
                or_(
                    SUBSCRIPTIONS.c.next_attempt_at.is_(None),
                    SUBSCRIPTIONS.c.next_attempt_at <= now,
                ),
                _free(now),
                HEADS.c.last_seq > SUBSCRIPTIONS.c.after,
            )
            .order_by(SUBSCRIPTIONS.c.taken_at.asc().nulls_first(), SUBSCRIPTIONS.c.id)
            .limit(CLAIM_CANDIDATES)
        ).scalars()
        for subscription_id in list(candidates):
            taken = self._session.execute(
                update(SUBSCRIPTIONS)
                .where(
                    SUBSCRIPTIONS.c.id == subscription_id,
                    SUBSCRIPTIONS.c.state == SubscriptionState.ACTIVE.value,
                    _free(now),
                )
                .values(holder=holder, held_until=until, taken_at=now)
                .returning(*SUBSCRIPTIONS.c)
            ).first()
            if taken is not None:
                return _subscription_of(taken)
        return None

    def progress(self, subscription: Subscription, holder: str, until: datetime) -> bool:
        """Save the delivery state and extend the hold, if `holder` still has it."""
        result = self._session.execute(
            update(SUBSCRIPTIONS)
            .where(SUBSCRIPTIONS.c.id == subscription.id, SUBSCRIPTIONS.c.holder == holder)
            .values(held_until=until, **_progress(subscription))
        )
        return cast(CursorResult[Any], result).rowcount == 1

    def release(self, subscription_id: str, holder: str) -> None:
        """Give up the hold."""
        self._session.execute(
            update(SUBSCRIPTIONS)
            .where(SUBSCRIPTIONS.c.id == subscription_id, SUBSCRIPTIONS.c.holder == holder)
            .values(holder=None, held_until=None)
        )


def _free(now: datetime) -> Any:
    return or_(SUBSCRIPTIONS.c.held_until.is_(None), SUBSCRIPTIONS.c.held_until < now)
