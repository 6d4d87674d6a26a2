"""The stage CLI exit-code contract as exceptions.

DESIGN.md, "Stage CLI contract": 0 done; 2 bad input or configuration (clear message, nothing
written); 3 upstream unavailable after retries, or the warehouse busy (retryable); 99 nothing
to do (DAG tasks skip on 99). Raise one of these from stage code;
:func:`hoopcast_common.runs.run_stage` turns it into the exit code and the run summary's
``status``.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_UPSTREAM_UNAVAILABLE = 3
EXIT_NOTHING_TO_DO = 99


class HoopcastError(Exception):
    """Base class of every error a stage reports through its exit code."""

    exit_code: int = 1
    status: str = "failed"


class BadInputError(HoopcastError):
    """Bad input or configuration: the message names the input and what was wrong (exit 2)."""

    exit_code = EXIT_BAD_INPUT
    status = "bad_input"


class ConfigError(BadInputError):
    """A setting is missing or malformed; the message names the setting and the env file."""


class UpstreamUnavailableError(HoopcastError):
    """An upstream service (ESPN) stayed unreachable after retries (exit 3, retryable)."""

    exit_code = EXIT_UPSTREAM_UNAVAILABLE
    status = "upstream_unavailable"


class WarehouseBusyError(UpstreamUnavailableError):
    """Another process held the warehouse file's write lock for the whole lock wait
    (``HOOPCAST_DB_LOCK_TIMEOUT``); the message names the file. Exit 3: Airflow retries."""

    status = "warehouse_busy"


class NothingToDoError(HoopcastError):
    """The run found nothing to do, e.g. no new finished games (exit 99; DAG tasks skip)."""

    exit_code = EXIT_NOTHING_TO_DO
    status = "nothing_to_do"
