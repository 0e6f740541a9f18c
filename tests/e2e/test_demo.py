"""`shipcrowd-woo demo`, small, as a new user runs it: a process with nothing configured."""

import json
import os
import subprocess
import sys
from pathlib import Path

COMMAND = str(Path(sys.executable).parent / "shipcrowd-woo")


def test_the_demo_passes_every_check(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SHIPCROWD_WOO_")}
    result = subprocess.run(
        [COMMAND, "demo", "--orders", "400", "--products", "40", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["passed"] is True
    assert report["figures"]["orders imported"] == 400
    assert report["figures"]["duplicates prevented (second full import)"] == 400
    assert all(check["holds"] for check in report["checks"])
    # Issue 18, section 4: the fulfilment loop is among them.
    assert {check["name"] for check in report["checks"]} >= {
        "tracking on every fulfilled order",
        "one customer note on every fulfilled order",
        "fulfilled orders completed at the store",
        "our own completions came back by webhook",
        "the new levels reached the store by themselves",
        "a cancelled order is refused, and stays cancelled",
        "a repeated fulfilment changes nothing",
        # Issue 31, point 7: the order feed's consumer.
        "the feed tells of every order at the store",
        "the cancellation reached the consumer as a shippable change to cancel",
        "the refund lowered every line's quantity to ship to 0",
        # Issue 32, point 6: stock that never oversells, across two stores.
        "store stock is on hand less what the open orders still have to ship",
        "the second store is offered on hand less what the first store's orders hold",
        "the sale lowered the second store's stock by its units, by itself",
    }
    assert list(tmp_path.iterdir()) == []  # the temporary database went with the demo
