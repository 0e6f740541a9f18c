"""Pages of results for lists shown to people."""

from collections.abc import Sequence
from typing import Generic, TypeVar

import attrs

T = TypeVar("T")

MAX_PAGE_SIZE = 100


@attrs.frozen
class PageRequest:
    """Which slice of a list to return."""

    offset: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    limit: int = attrs.field(
        default=20, validator=[attrs.validators.ge(1), attrs.validators.le(MAX_PAGE_SIZE)]
    )


@attrs.frozen
class Page(Generic[T]):
    """A slice of a list and the size of the whole list."""

    items: Sequence[T]
    total: int
    offset: int
    limit: int
