"""Which event a write makes (domain/feed.py): none when nothing moved, the most telling
change's name otherwise, and a deletion only while the order is deleted."""

from datetime import UTC, datetime

from shipcrowd_woo.domain.feed import Change, EventType, FeedState, changes, event_type
from shipcrowd_woo.domain.shipping import Shipping

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
LIVE = {"status": "processing", "shippable": "ship", "deleted": ""}
DELETED = {"status": "processing", "shippable": "cancel", "deleted": "yes"}


def _after(facets):
    return FeedState(facets, Shipping(facets["shippable"]), AT)


def test_a_first_write_is_created_and_an_unmoved_one_makes_none():
    """No state yet: created, naming every facet it has; the same facets again: nothing."""
    assert event_type(None, changes(None, LIVE), LIVE) is EventType.CREATED
    assert changes(_after(LIVE), LIVE) == ()
    assert event_type(_after(LIVE), (), LIVE) is None


def test_a_deletion_is_named_so_and_a_restoration_is_not():
    """Deleted at the store: order.deleted; restored by the store: its shipping moved back,
    which a consumer must not read as another deletion."""
    deleted = changes(_after(LIVE), DELETED)
    assert event_type(_after(LIVE), deleted, DELETED) is EventType.DELETED
    restored = changes(_after(DELETED), LIVE)
    assert Change.DELETED in restored
    assert event_type(_after(DELETED), restored, LIVE) is EventType.SHIPPABLE_CHANGED


def test_a_draft_pickled_flat_reads_back_whole_with_its_products_and_first_event():
    """An import's drafts cross from the processes preparing its pages (FeedDraft's own
    `__reduce__`): everything survives, the line products its events may move included."""
    import pickle

    from shipcrowd_woo.domain.shipping import ShippingRules
    from shipcrowd_woo.services.feed_publishing import drafted
    from tests.builders import make_order, make_store

    order = make_order(7, store_id=make_store().id, quantities=(2, 1))
    draft = drafted(order, ShippingRules())
    again = pickle.loads(pickle.dumps(draft))  # noqa: S301 - what this test pickled itself
    assert again == draft
    assert again.products == {10, 11, 51}
    assert again.first is not None
