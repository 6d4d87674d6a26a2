"""Data-quality checks of every stage: one check type, one result type, one results table.

A check is one SQL query selecting the **failing rows**: one row each, first column a text key
naming the row (e.g. an event id, or ``event_id:team_id``), an optional second column the
ESPN event id the row belongs to (checks of severity ``flag``). Its severity says what a
failure does:

* ``blocking`` — structural errors (duplicates, missing rows, contradictions between tables):
  any failing row fails the check and the stage stops without publishing (exit 2);
* ``flag`` — implausible values on a few rows: the rows are reported and the stage marks their
  events (``features.game_features.quality_flags``) instead of stopping; only when more than
  ``max_share`` of the checked rows fail (a systematic error, not an outlier) does the check
  fail, and it then blocks like a ``blocking`` check;
* ``warning`` — reported only (the check fails when its failing rows exceed ``max_share`` of
  the checked rows), never stops a stage.

Results of every stage go to ``ops.quality_checks`` (migration ``0101_quality_checks.sql``),
one row per check per checked relation per run; readers (the Airflow hook and sensors, the
stages) select its columns by name (:data:`RESULT_COLUMNS`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import duckdb

from hoopcast_common.db import transaction

BLOCKING = "blocking"
"""Severity: any failing row stops the stage."""
FLAG = "flag"
"""Severity: failing rows are flagged; blocks only above ``max_share`` of the checked rows."""
WARNING = "warning"
"""Severity: reported only."""
SEVERITIES = (BLOCKING, FLAG, WARNING)

RESULTS_TABLE = "ops.quality_checks"
"""The one table of stored check results."""
RESULT_COLUMNS = (
    "run_id",
    "stage",
    "as_of",
    "target",
    "check_name",
    "severity",
    "passed",
    "failing_rows",
    "checked_rows",
    "threshold",
    "detail",
    "checked_at",
)
"""Columns of :data:`RESULTS_TABLE`, in table order."""
EXAMPLES = 5
"""Failing-row keys quoted in a result's ``detail``."""


@dataclass(frozen=True)
class Check:
    """One check.

    Args:
        name: stable snake_case name (stored as ``check_name``).
        severity: ``blocking`` | ``flag`` | ``warning``.
        description: what a failing row is, in words (starts ``detail``).
        sql: SELECT of the failing rows: column 1 a text key; for ``flag`` checks column 2 the
            event id to flag.
        checked_sql: SELECT count(*) of the rows the check looks at (needed when
            ``max_share`` > 0; stored as ``checked_rows``).
        max_share: largest share of the checked rows allowed to fail while the check passes
            (0: none).
        target: the relation checked, as stored (``target`` column).

    Raises:
        ValueError: unknown severity, or ``max_share`` > 0 without ``checked_sql``.
    """

    name: str
    severity: str
    description: str
    sql: str
    target: str
    checked_sql: str | None = None
    max_share: float = 0.0

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"check {self.name}: severity {self.severity!r} not in {SEVERITIES}")
        if self.max_share > 0 and self.checked_sql is None:
            raise ValueError(f"check {self.name}: max_share needs checked_sql")

    @property
    def threshold(self) -> str:
        """What passes, in words (stored as ``threshold``)."""
        if self.max_share > 0:
            return f"failing rows <= {self.max_share:g} x checked rows"
        return "no failing row"


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one check: failing and checked row counts, example keys, flagged events.

    ``flagged`` holds the distinct event ids of a ``flag`` check's failing rows (sorted), empty
    for other severities.
    """

    check: Check
    failing_rows: int
    checked_rows: int | None
    examples: tuple[str, ...]
    flagged: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        """No failing row, or (with ``max_share``) at most that share of the checked rows."""
        if self.check.max_share > 0 and self.checked_rows is not None:
            return self.failing_rows <= self.check.max_share * self.checked_rows
        return self.failing_rows == 0

    @property
    def blocks(self) -> bool:
        """True when this result must stop the stage (a failed ``blocking`` or ``flag`` check)."""
        return not self.passed and self.check.severity in (BLOCKING, FLAG)

    @property
    def detail(self) -> str:
        """Description, counts and up to :data:`EXAMPLES` example keys."""
        text = f"{self.check.description}: {self.failing_rows} failing"
        if self.checked_rows is not None:
            text += f" of {self.checked_rows} checked"
        if self.examples:
            text += f"; e.g. {', '.join(self.examples)}"
        return text


def run_checks(conn: duckdb.DuckDBPyConnection, checks: Iterable[Check]) -> list[CheckResult]:
    """Run ``checks`` in order (read-only) and return their results.

    Raises:
        duckdb.Error: a check's SQL fails (e.g. a relation that does not exist).
    """
    results = []
    for check in checks:
        rows = conn.execute(check.sql).fetchall()
        checked = None
        if check.checked_sql is not None:
            row = conn.execute(check.checked_sql).fetchone()
            checked = int(row[0]) if row and row[0] is not None else 0
        flagged: tuple[str, ...] = ()
        if check.severity == FLAG:
            flagged = tuple(sorted({str(r[1]) for r in rows if len(r) > 1 and r[1] is not None}))
        results.append(
            CheckResult(
                check,
                len(rows),
                checked,
                tuple(str(r[0]) for r in rows[:EXAMPLES]),
                flagged,
            )
        )
    return results


def store_results(
    conn: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    stage: str,
    as_of: dt.date | None,
    results: Sequence[CheckResult],
) -> None:
    """Write ``results`` to :data:`RESULTS_TABLE` under ``run_id`` in their own transaction
    (also for failed checks, so a stopped stage leaves its evidence); idempotent per
    ``(run_id, target, check_name)``: rows of those keys are deleted, then inserted (the last
    result of a key wins), which works alike on a DuckDB file and a DuckLake."""
    now = dt.datetime.now(dt.UTC)
    latest = {(r.check.target, r.check.name): r for r in results}  # last result per key
    if not latest:
        return
    with transaction(conn):
        conn.executemany(
            f"DELETE FROM {RESULTS_TABLE} WHERE run_id = ? AND target = ? AND check_name = ?",
            [[run_id, target, name] for target, name in latest],
        )
        conn.executemany(
            f"INSERT INTO {RESULTS_TABLE} ({', '.join(RESULT_COLUMNS)})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    run_id,
                    stage,
                    as_of,
                    r.check.target,
                    r.check.name,
                    r.check.severity,
                    r.passed,
                    r.failing_rows,
                    r.checked_rows,
                    r.check.threshold,
                    r.detail,
                    now,
                ]
                for r in latest.values()
            ],
        )


def blocking_failures(results: Iterable[CheckResult]) -> list[CheckResult]:
    """The results that stop a stage (:attr:`CheckResult.blocks`)."""
    return [r for r in results if r.blocks]


def latest_results_sql(stage: str | None = None) -> tuple[str, list[object]]:
    """SQL and parameters selecting :data:`RESULT_COLUMNS` of the latest stored run (of
    ``stage`` when given; the run with the newest ``checked_at``)."""
    cols = ", ".join(RESULT_COLUMNS)
    where = "WHERE stage = ?" if stage else ""
    params: list[object] = [stage] if stage else []
    sql = (
        f"SELECT {cols} FROM {RESULTS_TABLE} WHERE run_id = (SELECT run_id FROM {RESULTS_TABLE}"
        f" {where} ORDER BY checked_at DESC, run_id DESC LIMIT 1) ORDER BY target, check_name"
    )
    return sql, params
