"""What every command shares: settings and services from the environment, the company
option, output as text or JSON, and domain errors as one-line messages."""

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from shipcrowd_woo.domain.errors import DomainError, StoreClientError, ValidationFailed
from shipcrowd_woo.domain.ids import CompanyId
from shipcrowd_woo.domain.jobs import Job, JobRecord
from shipcrowd_woo.entrypoints.bootstrap import Services, bootstrap
from shipcrowd_woo.entrypoints.settings import Settings, SettingsError
from shipcrowd_woo.services.jobs import Deferred, Transient

P = ParamSpec("P")
R = TypeVar("R")


def load_settings() -> Settings:
    """Settings from the environment, or a one-line error."""
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException(str(error)) from None


@contextmanager
def services() -> Iterator[Services]:
    """The wired services, closed afterwards; domain and database errors become one line."""
    try:
        built = bootstrap(load_settings(), entrypoint=True)
    except (SettingsError, SQLAlchemyError, DomainError) as error:
        raise click.ClickException(describe(error)) from None
    try:
        with one_line_errors():
            yield built
    finally:
        built.close()


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn the errors a person can act on into a message without a traceback."""
    try:
        yield
    except (DomainError, SQLAlchemyError) as error:
        raise click.ClickException(describe(error)) from None


def describe(error: BaseException) -> str:
    """A one-line account of an error (store errors name the store, never a credential)."""
    if isinstance(error, ValidationFailed):
        return "; ".join(f"{field}: {message}" for field, message in error.problems.items())
    if isinstance(error, StoreClientError):
        return f"{type(error).__name__}: {error.detail}"
    if isinstance(error, SQLAlchemyError):
        return f"database error: {type(error).__name__}"
    # StoreNotFound('s-1') -> "store not found: s-1"
    kind = re.sub(r"(?<!^)(?=[A-Z])", " ", type(error).__name__).lower()
    return f"{kind}: {error}" if str(error) else kind


def company_option(command: Callable[P, R]) -> Callable[P, R]:
    """--company (or SHIPCROWD_WOO_COMPANY): whose stores the command acts on."""
    return click.option(
        "--company",
        envvar="SHIPCROWD_WOO_COMPANY",
        required=True,
        help="The company id (or SHIPCROWD_WOO_COMPANY).",
        callback=lambda _, __, value: CompanyId(value),
    )(command)


def json_option(command: Callable[P, R]) -> Callable[P, R]:
    """--json: print machine-readable output."""
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(command)


def show(data: Any, as_json: bool, text: Callable[[Any], str]) -> None:
    """Print `data` as JSON, or as `text(data)`."""
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text(data))


def job_line(view: dict[str, Any]) -> str:
    """A finished job in one line: its kind, state and result."""
    result = ", ".join(f"{key} {value}" for key, value in view["result"].items())
    error = f": {view['error']}" if view["error"] else ""
    return f"{view['kind']} {view['id']} {view['state']}{error} ({result})"


def run_job_here(built: Services, company_id: CompanyId, job: Job) -> JobRecord:
    """Run a job in this process as a worker would, recorded as a job (its result on the job
    and in the sync logs); one a worker already runs is left to it."""
    record = built.jobs.record(company_id, job)
    return finish_job_here(built, record)


def finish_job_here(built: Services, record: JobRecord) -> JobRecord:
    """Run a recorded job here; its final record."""
    try:
        done = built.runner.run(record.id, record.job)
    except Deferred as busy:
        raise click.ClickException(f"not run now: {busy}; the job stays queued") from None
    except Transient as failure:
        raise click.ClickException(f"failed, worth another try: {failure}") from None
    return done or record
