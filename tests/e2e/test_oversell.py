"""Overselling end to end (issue 32, point 5), small: three sandbox stores selling a few SKUs
at once through their checkouts, their webhooks reaching the running app, a warehouse report
every few seconds and fulfilments shipping; bench/oversell_bench.py at full size. Each
store's buffer covers what the others sell of a SKU before the push that follows a sale."""

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).parents[2] / "bench" / "oversell_bench.py"


def test_the_new_rule_oversells_nothing_and_less_than_pushing_on_hand():
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--seconds=15",
            "--rate=2",
            "--skus=4",
            "--units=20",
            "--buffer=12",
            "--rounds=1",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    old, new = json.loads(done.stdout.strip().splitlines()[-1])
    assert (old["rule"], new["rule"]) == ("old", "new")
    assert new["oversold"] == 0, new
    assert old["oversold"] > new["oversold"], old
    assert new["accepted"] > 0
