"""Logging for stage CLIs: human-readable records on stderr (stdout is kept for the summary).

On a TTY records go through rich; otherwise (containers, Airflow) one plain line per record
with an ISO timestamp. Level from ``HOOPCAST_LOG_LEVEL`` (default INFO).
"""

from __future__ import annotations

import logging
import os
import sys


def configure_logging(level: str | None = None) -> None:
    """Send the root logger to stderr at ``level`` (default ``HOOPCAST_LOG_LEVEL`` or INFO)."""
    level_name = (level or os.environ.get("HOOPCAST_LOG_LEVEL") or "INFO").upper()
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler = RichHandler(show_path=False, rich_tracebacks=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level_name)
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def is_tty() -> bool:
    """True when stderr is a terminal (progress bars are shown only then)."""
    return sys.stderr.isatty()
