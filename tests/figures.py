"""The figures the suites report — what was sent, survived and found — printed as one table
at the end of the run (the README's reliability section shows it)."""

from collections import Counter, defaultdict

import pytest

from tests.leaks import WATCH

FIGURES: defaultdict[str, Counter[str]] = defaultdict(Counter)


@pytest.fixture
def figures() -> defaultdict[str, Counter[str]]:
    """section -> figure -> count, summed over the run."""
    return FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The table, when a suite reported figures; the leak watch's counts close it."""
    if not FIGURES:
        return
    sections = {name: dict(counts) for name, counts in FIGURES.items()}
    sections["secrets (every log line at DEBUG, worker output, API answers)"] = {
        "secrets watched": len(WATCH.secrets),
        "lines and answers searched": WATCH.lines_searched,
        "leaks found": len(WATCH.leaks),
    }
    width = max(len(name) for counts in sections.values() for name in counts)
    terminalreporter.write_sep("=", "reliability figures")
    for section, counts in sections.items():
        terminalreporter.write_line(section)
        for name, value in counts.items():
            terminalreporter.write_line(f"  {name:<{width}}  {value:>8,}")
