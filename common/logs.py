"""Logging set-up: one line per record, with the call id when there is one.

The call id travels in a context variable so that every log line written while a call is
handled (in the IVR, the ARI client, the intake) names the call without passing it around.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import time

call_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("call_id", default="-")


class _CallIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.call_id = call_id_var.get()
        return True


def setup_logging(level: str = "INFO") -> None:
    """Configure the root logger once; safe to call again (replaces our handler)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_hotline", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._hotline = True  # type: ignore[attr-defined]
    handler.addFilter(_CallIdFilter())
    formatter = logging.Formatter("%(asctime)sZ %(levelname)s %(name)s [call=%(call_id)s] %(message)s")
    formatter.converter = time.gmtime  # UTC, marked with Z: one clock for every process and machine
    handler.setFormatter(formatter)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore", "websockets", "panoramisk", "asyncio", "alembic", "fontTools", "weasyprint"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
