"""Keeping credentials out of httpx's own log lines.

httpx logs every request URL at INFO ("HTTP Request: GET https://…?oauth_consumer_key=…").
With OAuth 1.0a or query-string authentication that URL carries the consumer key (and with
the latter the secret), so a filter on the `httpx` logger rewrites those parameters before
any handler sees them.
"""

import logging
import re
import threading

_SENSITIVE = re.compile(
    r"((?:oauth_consumer_key|oauth_signature|oauth_nonce|consumer_key|consumer_secret)=)[^&\s\"']*",
    re.IGNORECASE,
)
_installed = threading.Lock()
_done = False


def redact(text: str) -> str:
    """`…?consumer_key=ck_1&page=2` -> `…?consumer_key=REDACTED&page=2`."""
    return _SENSITIVE.sub(r"\1REDACTED", text)


class CredentialRedactingFilter(logging.Filter):
    """Rewrites credential query parameters in a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(str(arg)) if _may_hold_url(arg) else arg for arg in record.args
            )
        return True


def _may_hold_url(value: object) -> bool:
    return not isinstance(value, int | float) and "=" in str(value)


def install_redaction() -> None:
    """Attach the filter to the httpx loggers, once per process."""
    global _done
    with _installed:
        if _done:
            return
        for name in ("httpx", "httpcore"):
            logging.getLogger(name).addFilter(CredentialRedactingFilter())
        _done = True
