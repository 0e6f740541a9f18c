"""Runs the race test again and again (bench/race_soak starts the servers it needs) and
prints, per run, the orders left stale and duplicated, read from the figures the test reports
even when it fails. Optionally beside busy-loop processes that compete for the cores."""

import argparse
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import machine

TEST = "tests/reliability/test_races.py::test_racing_deliveries_and_a_scheduled_import"
FIGURE = r"^\s+{}\s+([\d,]+)\s*$"


def figure(output: str, name: str) -> int | None:
    found = re.search(FIGURE.format(re.escape(name)), output, re.MULTILINE)
    return int(found.group(1).replace(",", "")) if found else None


def one_run() -> tuple[int, int | None, int | None, int | None, float]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        kept = Path(tempfile.mkstemp(prefix="race_soak_", suffix=".log")[1])
        kept.write_text(output)
        reasons = [line for line in done.stdout.splitlines() if line.startswith("E ")]
        print("\n".join(reasons[:20]) or output[-2000:], file=sys.stderr)
        print(f"the whole output of the failed run: {kept}", file=sys.stderr)
    return (
        done.returncode,
        figure(output, "orders not on their newest version"),
        figure(output, "orders duplicated"),
        figure(output, "confirming jobs run"),
        time.monotonic() - started,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("runs", nargs="?", type=int, default=30)
    parser.add_argument("--busy", type=int, default=0, help="busy-loop processes beside it")
    options = parser.parse_args()
    loops = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(options.busy)
    ]
    clean = 0
    try:
        print(f"race soak: {options.runs} runs, {options.busy} busy loops beside; {machine()}")
        print("run  result  stale  duplicated  confirming jobs  seconds")
        for number in range(1, options.runs + 1):
            code, stale, duplicated, confirming, seconds = one_run()
            ok = code == 0 and stale == 0 and duplicated == 0
            clean += ok
            print(
                f"{number:>3}  {'pass' if ok else 'FAIL':<6}  {stale!s:>5}  {duplicated!s:>10}"
                f"  {confirming!s:>15}  {seconds:>7.1f}",
                flush=True,
            )
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()
    print(f"{clean} of {options.runs} runs ended with every order on its newest version")
    return 0 if clean == options.runs else 1


if __name__ == "__main__":
    sys.exit(main())
