"""Customers and deletions of webhook deliveries: parsed by the converter like orders and
products, and total (issue 20, point 5)."""

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.converters.woocommerce import parse_customer, parse_deleted
from shipcrowd_woo.domain.customers import MAX_CUSTOMER_TEXT, customer_snapshot
from shipcrowd_woo.domain.ids import CompanyId, StoreId
from shipcrowd_woo.domain.woo_catalog import WooCustomer, WooDeleted

NOW = datetime(2026, 12, 2, tzinfo=UTC)
OWNER = (CompanyId("c"), StoreId("s"))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
CUSTOMERS = st.fixed_dictionaries(
    {},
    optional={
        "id": st.integers() | st.text(max_size=5) | JSON,
        "email": JSON,
        "first_name": JSON,
        "last_name": JSON,
        "date_modified_gmt": st.text(max_size=30) | JSON,
    },
)


@given(CUSTOMERS | JSON)
def test_any_payload_gives_a_customer_or_problems_and_any_customer_a_snapshot(payload):
    parsed = parse_customer(payload)
    if isinstance(parsed, WooCustomer):
        snapshot = customer_snapshot(parsed, *OWNER, NOW, {})
        assert snapshot.woo_customer_id == parsed.id > 0
        assert len(snapshot.email) <= MAX_CUSTOMER_TEXT
        assert snapshot.modified_at is None or snapshot.modified_at.tzinfo is UTC
    else:
        assert parsed
        assert all(problem.message for problem in parsed)


def test_times_out_of_range_or_malformed_are_no_time():
    """The processor's own parse raised OverflowError on the first of these."""
    for raw in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "0000-00-00", ""):
        customer = WooCustomer(id=1, date_modified_gmt=raw)
        assert customer_snapshot(customer, *OWNER, NOW, {}).modified_at is None
    customer = WooCustomer(id=1, date_modified_gmt="2026-11-30T10:00:00")
    assert customer_snapshot(customer, *OWNER, NOW, {}).modified_at == (
        datetime(2026, 11, 30, 10, tzinfo=UTC)
    )


def test_a_deletion_names_a_positive_id():
    assert parse_deleted({"id": "12"}) == WooDeleted(12)
    assert parse_deleted({"id": 12, "name": "ignored"}) == WooDeleted(12)
    for payload in ({"id": 0}, {"id": -3}, {"id": True}, {"id": "x"}, {}, [], 2**64):
        assert not isinstance(parse_deleted(payload), WooDeleted)
