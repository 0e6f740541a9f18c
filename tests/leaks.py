"""Secret-leak watch over the whole test session.

Every secret the tests make or the product seals is registered (sandbox consumer keys and
secrets, webhook secrets as they are sealed, encryption keys as a secret box takes them); every log
record of the session is formatted at DEBUG, exception text included, and searched for them,
as are the log lines read from worker processes, the bodies of API answers the suites check,
and the message of every DomainError the product raises, logged or not. The run fails if one
is found; the terminal summary gives the figures.
"""

import base64
import logging
import threading
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

from shipcrowd_woo.adapters import crypto
from shipcrowd_woo.domain.errors import DomainError
from shipcrowd_woo.sandbox.store import SandboxStore

# Short strings would match by chance; every real secret is longer.
MIN_SECRET_LENGTH = 12


@attrs.define
class LeakWatch:
    """Known secrets and what was searched. Secrets are indexed by their first
    MIN_SECRET_LENGTH characters, so a search costs one set lookup per position of the text
    however many secrets the session has made."""

    secrets: set[str] = attrs.Factory(set)
    leaks: list[str] = attrs.Factory(list)
    lines_searched: int = 0
    _by_prefix: dict[str, list[str]] = attrs.Factory(dict)
    _lock: threading.Lock = attrs.Factory(threading.Lock)

    def register(self, *values: str) -> None:
        with self._lock:
            for value in values:
                if len(value) >= MIN_SECRET_LENGTH and value not in self.secrets:
                    self.secrets.add(value)
                    self._by_prefix.setdefault(value[:MIN_SECRET_LENGTH], []).append(value)

    def search(self, text: str, where: str) -> None:
        self.lines_searched += 1
        index = self._by_prefix
        for start in range(len(text) - MIN_SECRET_LENGTH + 1):
            for secret in index.get(text[start : start + MIN_SECRET_LENGTH], ()):
                if text.startswith(secret, start):
                    self.leaks.append(f"{where}: …{text[max(0, start - 40) : start + 4]}…")
                    return


WATCH = LeakWatch()


class _Searching(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record that cannot be formatted leaks nothing
            return
        WATCH.search(text, f"log {record.name}")


@pytest.fixture(scope="session", autouse=True)
def watch_for_leaks() -> Iterator[LeakWatch]:
    """Register secrets where they are made; search every log record."""
    patch = pytest.MonkeyPatch()
    original_key = SandboxStore.create_api_key
    original_seal = crypto.AesGcmSecretBox.seal
    original_init = crypto.AesGcmSecretBox.__init__

    def create_api_key(self: SandboxStore, *args: Any, **kwargs: Any) -> tuple[str, str]:
        key, secret = original_key(self, *args, **kwargs)
        WATCH.register(key, secret)
        return key, secret

    def seal(self: crypto.AesGcmSecretBox, secret: Any) -> Any:
        WATCH.register(secret.reveal())
        return original_seal(self, secret)

    def box_with_keys(self: crypto.AesGcmSecretBox, keys: Any) -> None:
        for _, material in keys:
            WATCH.register(
                base64.b64encode(material).decode().rstrip("="),
                base64.urlsafe_b64encode(material).decode().rstrip("="),
                repr(material)[2:-1],
            )
        original_init(self, keys)

    original_error_init = DomainError.__init__

    def searched_error(self: DomainError, *args: Any, **kwargs: Any) -> None:
        original_error_init(self, *args, **kwargs)
        WATCH.search(" ".join(str(arg) for arg in self.args), f"{type(self).__name__} message")

    patch.setattr(DomainError, "__init__", searched_error)
    patch.setattr(SandboxStore, "create_api_key", create_api_key)
    patch.setattr(crypto.AesGcmSecretBox, "seal", seal)
    patch.setattr(crypto.AesGcmSecretBox, "__init__", box_with_keys)
    handler = _Searching(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.DEBUG)
    # SQLAlchemy's statement echo is not a log the product writes (and its parameters carry
    # only sealed secrets); at DEBUG it would multiply the suite's time several times.
    quiet = logging.getLogger("sqlalchemy")
    quiet_level = quiet.level
    quiet.setLevel(logging.WARNING)
    yield WATCH
    quiet.setLevel(quiet_level)
    root.setLevel(level)
    root.removeHandler(handler)
    patch.undo()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The leak figures; leaks fail the run."""
    terminalreporter.write_sep(
        "-",
        f"secret-leak watch: {len(WATCH.secrets)} secrets, {WATCH.lines_searched} log lines "
        f"and answers searched, {len(WATCH.leaks)} leaks",
    )
    for leak in WATCH.leaks[:20]:
        terminalreporter.write_line(f"LEAK {leak}", red=True)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    if WATCH.leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
