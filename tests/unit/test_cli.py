"""The `shipcrowd-woo transform` command."""

import json

from click.testing import CliRunner
from hypothesis import given, settings
from sqlalchemy import inspect

from shipcrowd_woo.adapters.sqlalchemy.engine import make_engine
from shipcrowd_woo.entrypoints.cli import main
from tests.fixtures import HAND_WRITTEN_ORDERS, RECORDED
from tests.strategies_hostile_json import HOSTILE_DOCUMENTS


def test_transform_prints_each_order_and_a_summary():
    """A recorded page of 20 orders gives 20 rows and exit code 0."""
    result = CliRunner().invoke(
        main, ["transform", str(RECORDED / "orders_page1_per_page_20.json")]
    )
    assert result.exit_code == 0, result.output
    assert "20 orders transformed, 0 rejected" in result.output
    assert "#38 " in result.output


def test_transform_as_json_lines_renders_money_as_text(tmp_path):
    """--json gives one JSON object per order with amounts as exact text."""
    result = CliRunner().invoke(
        main, ["transform", "--json", str(HAND_WRITTEN_ORDERS / "kwd_three_decimals.json")]
    )
    assert result.exit_code == 0, result.output
    order = json.loads(result.stdout.splitlines()[0])
    assert order["totals"]["total"] == "14.125"
    assert order["payment_category"] == "cash_on_delivery"


def test_a_rejected_order_is_explained_and_fails_the_command(tmp_path):
    """A rejection lists its problems on stderr and the exit code is 1."""
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"id": 9, "currency": "XYZ"}))
    result = CliRunner().invoke(main, ["transform", str(bad)])
    assert result.exit_code == 1
    assert "rejected order 9: currency: 'XYZ' is not a currency" in result.stderr


def test_a_file_that_is_not_json_gives_a_one_line_error(tmp_path):
    """No traceback, one line naming the file."""
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = CliRunner().invoke(main, ["transform", str(bad)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bad}: the document is not JSON")
    assert "Traceback" not in result.output


@settings(max_examples=40)
@given(document=HOSTILE_DOCUMENTS)
def test_a_hostile_document_gives_a_one_line_error_or_rejections(tmp_path_factory, document):
    """Issue 14, point 4: deep nesting escaped as a RecursionError traceback."""
    path = tmp_path_factory.mktemp("hostile") / "order.json"
    path.write_bytes(document)
    result = CliRunner().invoke(main, ["transform", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


def test_db_upgrade_migrates_the_configured_database_and_is_repeatable(tmp_path, monkeypatch):
    """`db upgrade` creates the schema in a SQLite file; running it again is harmless."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("SHIPCROWD_WOO_DATABASE_URL", url)
    for _ in range(2):
        result = CliRunner().invoke(main, ["db", "upgrade"])
        assert result.exit_code == 0, result.output
    engine = make_engine(url)
    try:
        assert "orders" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_db_upgrade_with_a_bad_url_is_a_one_line_error(monkeypatch):
    """A wrong database URL names the variable, without a traceback."""
    monkeypatch.setenv("SHIPCROWD_WOO_DATABASE_URL", "mysql://x/y")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "SHIPCROWD_WOO_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.output


def test_logs_purge_reports_how_many_went(tmp_path, monkeypatch):
    """On an empty database nothing is deleted, and it says so."""
    monkeypatch.setenv("SHIPCROWD_WOO_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite3'}")
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    result = CliRunner().invoke(main, ["logs", "purge"])
    assert result.exit_code == 0, result.output
    assert "0 sync logs deleted" in result.output


def test_the_sandbox_command_serves_a_store_that_answers_with_its_printed_credentials():
    """`shipcrowd-woo sandbox --port 0` prints its URL and a key that works, and keeps the
    query string (and so the key) out of its own log."""
    import subprocess
    import sys

    import httpx

    from shipcrowd_woo.adapters.woocommerce.auth import OAuth1QueryAuth
    from shipcrowd_woo.domain.secrets import Secret

    command = [
        sys.executable,
        "-m",
        "shipcrowd_woo",
        "sandbox",
        "--port",
        "0",
        "--orders",
        "12",
        "--products",
        "5",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().split(": ", 1)[1].strip()
        key = process.stdout.readline().split(": ", 1)[1].strip()
        secret = process.stdout.readline().split(": ", 1)[1].strip()
        auth = OAuth1QueryAuth(Secret(key), Secret(secret))
        response = httpx.get(f"{url}/wp-json/wc/v3/orders", auth=auth)
        assert response.status_code == 200
        assert response.headers["x-wp-total"] == "12"
    finally:
        process.terminate()
        _, errors = process.communicate(timeout=10)
    assert key not in errors


def test_keys_generate_prints_a_key_the_settings_accept(monkeypatch, tmp_path):
    """`keys generate` output is a valid SHIPCROWD_WOO_ENCRYPTION_KEYS value; `keys verify`
    and `keys rotate` work on an empty database."""
    generated = CliRunner().invoke(main, ["keys", "generate", "--id", "k9"]).output.strip()
    assert generated.startswith("k9:")
    monkeypatch.setenv("SHIPCROWD_WOO_ENCRYPTION_KEYS", generated)
    monkeypatch.setenv("SHIPCROWD_WOO_DATABASE_URL", f"sqlite:///{tmp_path / 'k.sqlite3'}")
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    verified = CliRunner().invoke(main, ["keys", "verify"])
    assert verified.exit_code == 0, verified.output
    rotated = CliRunner().invoke(main, ["keys", "rotate"])
    assert "0 secrets re-sealed" in rotated.output
