"""The mapping CSV reader is total: any text gives rows and problems, never an exception."""

from hypothesis import given
from hypothesis import strategies as st

from shipcrowd_woo.domain import mapping_csv
from shipcrowd_woo.domain.mapping_csv import RowProblem, parse_mapping_csv
from shipcrowd_woo.domain.text import storable

HEADER = "woo_product_id,woo_variation_id,shipcrowd_sku\n"


@given(st.text())
def test_any_text_parses_to_rows_and_problems(text):
    parsed = parse_mapping_csv(text)
    assert all(problem.line >= 1 for problem in parsed.problems)


@given(
    st.lists(
        st.text(st.characters(exclude_characters="\r\n"), max_size=30).map(
            lambda cells: f"{len(cells) + 1},,SKU{len(cells)},{cells}"
        ),
        max_size=20,
    )
)
def test_every_row_read_can_be_stored(lines):
    """Issue 14, point 4: a NUL (valid UTF-8) in a product name reached PostgreSQL, which
    refuses it in text; SKUs with control characters were already a row problem."""
    header = "woo_product_id,woo_variation_id,shipcrowd_sku,shipcrowd_product_name\n"
    parsed = parse_mapping_csv(header + "\n".join(lines))
    for row in parsed.rows:
        assert storable(row.shipcrowd_sku) == row.shipcrowd_sku
        assert storable(row.shipcrowd_product_name) == row.shipcrowd_product_name


def test_a_nul_in_a_product_name_is_dropped():
    header = "woo_product_id,woo_variation_id,shipcrowd_sku,shipcrowd_product_name\n"
    [row] = parse_mapping_csv(header + "10,,A,Tea\x00 pot\n").rows
    assert row.shipcrowd_product_name == "Tea pot"


@given(st.lists(st.text(st.characters(exclude_characters="\r\n"), max_size=30), max_size=20))
def test_any_lines_under_a_good_header_parse(lines):
    parsed = parse_mapping_csv(HEADER + "\n".join(lines))
    assert len(parsed.rows) + len(parsed.problems) <= len(lines) + 1


def test_a_stray_carriage_return_is_a_problem_not_a_crash():
    """Found by schemathesis: csv raises on a bare \\r inside an unquoted field."""
    for text in ("\xb1R\xf2\r\x1b\x01", HEADER + "1,,A\rB\x00\n"):
        parse_mapping_csv(text)


def test_rows_are_read_across_line_endings():
    parsed = parse_mapping_csv(HEADER.replace("\n", "\r\n") + "10,,A\r\n11,,B\r\n")
    assert [(row.woo_product_id, row.shipcrowd_sku) for row in parsed.rows] == [
        (10, "A"),
        (11, "B"),
    ]


def test_digits_that_are_not_decimal_are_refused():
    """Found by hypothesis: '²' is a digit to str.isdigit but not to int()."""
    parsed = parse_mapping_csv(HEADER + "\u00b2,,A\n")
    assert parsed.rows == ()
    assert "not a positive whole number" in parsed.problems[0].reason


def test_a_file_longer_than_the_row_limit_is_read_up_to_it(monkeypatch):
    """Issue 14 point 8: a 400,000-line file took one request 43 s; reading stops at
    MAX_ROWS (100,000; 5 here) lines with one problem naming the limit."""
    monkeypatch.setattr(mapping_csv, "MAX_ROWS", 5)
    lines = [f"{product},,SKU-{product}" for product in range(1, 12)]
    parsed = parse_mapping_csv(HEADER + "\n".join(lines))
    assert [row.woo_product_id for row in parsed.rows] == [1, 2, 3, 4, 5]
    assert parsed.problems == (RowProblem(7, "more than 5 rows; the rest is ignored"),)
