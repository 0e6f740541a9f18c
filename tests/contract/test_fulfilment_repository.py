"""FulfilmentRepository contract: fulfilments kept whole, one per key of an order, scoped to
their company, their progress saved."""

import attrs
import pytest

from shipcrowd_woo.domain.errors import AlreadyExists, FulfilmentNotFound
from shipcrowd_woo.domain.fulfilment import (
    Fulfilment,
    FulfilmentId,
    FulfilmentState,
    ShippedLine,
)
from shipcrowd_woo.domain.ids import JobId
from tests.builders import COMPANY_B, later


def _fulfilment(store, number="123456789", order_id=38, created=0.0):
    return Fulfilment(
        id=FulfilmentId(f"f-{number}-{order_id}"),
        company_id=store.company_id,
        store_id=store.id,
        order_id=order_id,
        key=f"tracking:ppl:{number}",
        carrier="PPL — Přepravní",
        tracking_number=number,
        tracking_url="https://www.ppl.cz/vyhledat-zasilku?shipmentId=1",
        shipped_at=later(created),
        lines=(ShippedLine(3800, 2), ShippedLine(3801, 1)),
        completes_order=False,
        created_at=later(created),
        job_id=JobId("job-1"),
    )


def test_a_fulfilment_comes_back_whole_and_its_progress_is_saved(uow_factory, store):
    fulfilment = _fulfilment(store)
    with uow_factory() as uow:
        uow.fulfilments.add(fulfilment)
        uow.commit()
    with uow_factory() as uow:
        assert uow.fulfilments.get(store.company_id, fulfilment.id) == fulfilment
    done = attrs.evolve(
        fulfilment,
        state=FulfilmentState.DELIVERED,
        tracking_written=True,
        note_started=True,
        note_id=2**40,
        status_completed=True,
        finished_at=later(3),
    )
    with uow_factory() as uow:
        uow.fulfilments.update(done)
        uow.commit()
    with uow_factory() as uow:
        assert uow.fulfilments.get(store.company_id, fulfilment.id) == done


def test_an_order_has_one_fulfilment_per_key(uow_factory, store):
    first = _fulfilment(store)
    with uow_factory() as uow:
        uow.fulfilments.add(first)
        uow.commit()
    with uow_factory() as uow, pytest.raises(AlreadyExists):
        uow.fulfilments.add(attrs.evolve(first, id=FulfilmentId("f-other")))
    with uow_factory() as uow:
        found = uow.fulfilments.find_by_key(store.company_id, store.id, 38, first.key)
        assert found == first
        assert uow.fulfilments.find_by_key(store.company_id, store.id, 39, first.key) is None


def test_an_orders_fulfilments_are_listed_oldest_first_and_scoped(uow_factory, store):
    later_one = _fulfilment(store, number="2", created=5)
    earlier_one = _fulfilment(store, number="1", created=1)
    other_order = _fulfilment(store, number="3", order_id=40)
    with uow_factory() as uow:
        for fulfilment in (later_one, earlier_one, other_order):
            uow.fulfilments.add(fulfilment)
        uow.commit()
    with uow_factory() as uow:
        assert uow.fulfilments.for_order(store.company_id, store.id, 38) == [
            earlier_one,
            later_one,
        ]
        assert uow.fulfilments.for_order(COMPANY_B, store.id, 38) == []
        with pytest.raises(FulfilmentNotFound):
            uow.fulfilments.get(COMPANY_B, earlier_one.id)
