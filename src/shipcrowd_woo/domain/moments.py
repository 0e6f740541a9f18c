"""Moments given as text by a person or a client: ISO 8601 with their offset, never naive."""

from datetime import datetime

from shipcrowd_woo.domain.errors import ValidationFailed


def aware_moment(text: str, field: str) -> datetime:
    """The moment `text` names, or ValidationFailed for `field` (naive times included: a
    time without its offset names no moment)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValidationFailed({field: "must be an ISO 8601 time with its offset"})
    return moment
