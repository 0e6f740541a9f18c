"""Structured JSON logs (python-json-logger) carrying the company, store, job and delivery
ids bound in shipcrowd_woo.log_context."""

import logging
import sys
from typing import TextIO

from pythonjsonlogger.json import JsonFormatter

from shipcrowd_woo import log_context


class ContextFilter(logging.Filter):
    """Adds the bound ids to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in log_context.current().items():
            setattr(record, name, value)
        return True


def configure_logging(
    kind: str = "json", level: int | str = logging.INFO, stream: TextIO | None = None
) -> None:
    """Log to stderr (or `stream`), as JSON lines (or plain text for people at a terminal)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    if kind == "json":
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s", timestamp=True
            )
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
