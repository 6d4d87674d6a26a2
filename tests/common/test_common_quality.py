"""The shared check framework on a real DuckDB file: severities, shares, stored results."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hoopcast_common.db import connect
from hoopcast_common.quality import (
    BLOCKING,
    FLAG,
    RESULT_COLUMNS,
    WARNING,
    Check,
    blocking_failures,
    latest_results_sql,
    run_checks,
    store_results,
)

ROWS = "(VALUES ('e1', 70), ('e2', 250), ('e3', 80), ('e4', 75), ('e5', 300)) AS t(event_id, pts)"


def test_severities_shares_and_stored_rows(tmp_path: Path) -> None:
    conn = connect(tmp_path / "q.duckdb")
    checks = [
        Check("dup", BLOCKING, "duplicate events", "SELECT 'x' WHERE false", target="t"),
        # 2 of 5 rows over 200: flagged (40 % <= 50 % allowed) ...
        Check(
            "pts_range",
            FLAG,
            "points over 200",
            f"SELECT event_id || ':' || pts, event_id FROM {ROWS} WHERE pts > 200",
            target="t",
            checked_sql=f"SELECT count(*) FROM {ROWS}",
            max_share=0.5,
        ),
        # ... but blocks when at most 20 % may fail
        Check(
            "pts_range_strict",
            FLAG,
            "points over 200",
            f"SELECT event_id, event_id FROM {ROWS} WHERE pts > 200",
            target="t",
            checked_sql=f"SELECT count(*) FROM {ROWS}",
            max_share=0.2,
        ),
        Check("low", WARNING, "points under 75", f"SELECT event_id FROM {ROWS} WHERE pts < 75",
              target="t"),
    ]  # fmt: skip
    results = run_checks(conn, checks)
    by_name = {r.check.name: r for r in results}
    assert by_name["dup"].passed and not by_name["dup"].blocks
    flagged = by_name["pts_range"]
    assert (flagged.failing_rows, flagged.checked_rows, flagged.passed) == (2, 5, True)
    assert flagged.flagged == ("e2", "e5") and flagged.examples == ("e2:250", "e5:300")
    assert not flagged.blocks
    assert by_name["pts_range_strict"].blocks  # 2 > 0.2 x 5
    assert not by_name["low"].passed and not by_name["low"].blocks  # warnings never block
    assert [r.check.name for r in blocking_failures(results)] == ["pts_range_strict"]

    store_results(conn, run_id="r1", stage="features", as_of=dt.date(2025, 1, 20), results=results)
    store_results(conn, run_id="r1", stage="features", as_of=dt.date(2025, 1, 20), results=results)
    sql, params = latest_results_sql("features")
    rows = [dict(zip(RESULT_COLUMNS, r, strict=True)) for r in conn.execute(sql, params).fetchall()]
    assert len(rows) == 4  # idempotent per run
    stored = next(r for r in rows if r["check_name"] == "pts_range")
    assert stored["severity"] == "flag" and stored["passed"] and stored["failing_rows"] == 2
    assert stored["detail"] == "points over 200: 2 failing of 5 checked; e.g. e2:250, e5:300"
    assert stored["threshold"] == "failing rows <= 0.5 x checked rows"
    assert conn.execute(*latest_results_sql("ingestion")).fetchall() == []


def test_max_share_needs_a_count_of_checked_rows() -> None:
    with pytest.raises(ValueError, match="checked_sql"):
        Check("c", FLAG, "d", "SELECT 1", target="t", max_share=0.1)
    with pytest.raises(ValueError, match="severity"):
        Check("c", "fatal", "d", "SELECT 1", target="t")
