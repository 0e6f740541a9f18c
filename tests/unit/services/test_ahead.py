"""Preparing the next item of a stream while this one is handled."""

import threading

import pytest

from shipcrowd_woo.services.ahead import prepared_ahead


def test_items_come_in_order_each_with_what_was_prepared():
    assert list(prepared_ahead(range(5), lambda n: n * n)) == [(n, n * n) for n in range(5)]


def test_the_next_item_is_prepared_while_this_one_is_handled():
    second_prepared = threading.Event()

    def prepare(n: int) -> int:
        if n == 2:
            second_prepared.set()
        return n

    for n, _ in prepared_ahead([1, 2], prepare):
        if n == 1:
            assert second_prepared.wait(timeout=10)


def test_an_error_of_the_stream_is_raised_where_its_item_is_asked_for():
    def stream():
        yield 1
        raise RuntimeError("page 2 failed")

    items = prepared_ahead(stream(), lambda n: n)
    assert next(items) == (1, 1)
    with pytest.raises(RuntimeError, match="page 2 failed"):
        next(items)


def test_a_caller_that_stops_early_closes_the_stream():
    closed = threading.Event()

    def stream():
        try:
            yield from range(100)
        finally:
            closed.set()

    for n, _ in prepared_ahead(stream(), lambda n: n):
        if n == 3:
            break
    assert closed.is_set()
