"""Domain errors survive pickling whole: an import's page may fail in a process of its own
(adapters/preparation.py) and its error is raised in the importing one."""

import pickle
from datetime import timedelta

import pytest

from shipcrowd_woo.domain.errors import (
    InvalidResponse,
    RateLimited,
    RequestRejected,
    StoreBusy,
    ValidationFailed,
)


@pytest.mark.parametrize(
    "error",
    [
        InvalidResponse("https://shop.example", "the store answered with 12 bytes"),
        RateLimited("https://shop.example", "GET orders: HTTP 429", timedelta(seconds=30)),
        RequestRejected("https://shop.example", "POST batch: HTTP 413", "too_large", 413),
        ValidationFailed({"status": "must be one of cancelled, completed"}),
        StoreBusy("another order sync of this store is running"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_an_error_pickled_reads_back_with_its_kind_message_and_fields(error):
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 - what this test pickled itself
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert vars(again) == vars(error)
