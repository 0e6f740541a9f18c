"""What the demo reports (figures, checks, timings), the company it works for, and how it
reads the API's answers."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
import click
import httpx

from shipcrowd_woo.domain.ids import CompanyId

COMPANY = CompanyId("demo-company")


@attrs.define
class Check:
    """One claim of the summary and whether it held."""

    name: str
    expected: Any
    actual: Any

    @property
    def holds(self) -> bool:
        return bool(self.expected == self.actual)


@attrs.define
class Report:
    """Figures, checks and timings, filled in as the demo goes."""

    figures: dict[str, Any] = attrs.Factory(dict)
    checks: list[Check] = attrs.Factory(list)
    timings: dict[str, float] = attrs.Factory(dict)

    def check(self, name: str, expected: Any, actual: Any) -> None:
        self.checks.append(Check(name, expected, actual))

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        click.echo(f"• {name}…", err=True)
        started = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - started, 2)

    @property
    def passed(self) -> bool:
        return all(check.holds for check in self.checks)

    def as_data(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "figures": self.figures,
            "checks": [attrs.asdict(c) | {"holds": c.holds} for c in self.checks],
            "timings_seconds": self.timings,
        }

    def as_table(self) -> str:
        rows = [("figure", "value")] + [(k, str(v)) for k, v in self.figures.items()]
        rows += [("", ""), ("check", "result")]
        rows += [
            (c.name, "ok" if c.holds else f"FAILED: expected {c.expected}, got {c.actual}")
            for c in self.checks
        ]
        rows += [("", ""), ("step", "seconds")] + [(k, f"{v:.2f}") for k, v in self.timings.items()]
        width = max(len(name) for name, _ in rows)
        lines = [f"{name:<{width}}  {value}" for name, value in rows]
        verdict = "every check holds" if self.passed else "SOME CHECKS FAILED"
        return "\n".join([*lines, "", verdict])


def ok(response: httpx.Response) -> Any:
    """The answer's JSON; a failed request ends the demo, naming the path and the answer."""
    if response.is_error:
        raise click.ClickException(f"{response.request.url.path}: {response.text[:300]}")
    return response.json()
