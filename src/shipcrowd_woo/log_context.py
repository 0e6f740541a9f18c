"""Ids that every log line of the current request or job carries (company, store, job,
delivery), without passing them through every call."""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_context: contextvars.ContextVar[dict[str, str]] = contextvars.ContextVar("log_context")


def current() -> dict[str, str]:
    """The ids bound here."""
    return dict(_context.get({}))


@contextmanager
def bound(**ids: object) -> Iterator[None]:
    """Bind ids (None values are left out) for the block."""
    token = _context.set({**_context.get({}), **{k: str(v) for k, v in ids.items() if v}})
    try:
        yield
    finally:
        _context.reset(token)
