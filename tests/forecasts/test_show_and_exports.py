"""``hoopcast-predictor show`` as a subprocess on the snapshot of the pipeline-made warehouse,
and the exports a prediction run writes (conftest.forecast_warehouse)."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
from forecasts_testing import GAME_DAY
from support.queries import query

SHOW = Path(sys.executable).with_name("hoopcast-predictor")


def _show(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOOPCAST_DB": str(db), "HOOPCAST_ENV": "local"}
    env.pop("HOOPCAST_AS_OF", None)
    return subprocess.run(
        [str(SHOW), "show", *args], env=env, capture_output=True, text=True, timeout=120
    )


def _expected(db: Path, first: str, last: str) -> set[tuple[str, str, str]]:
    rows = query(
        db,
        "SELECT DISTINCT p.event_id, p.model_name, p.model_version"
        " FROM predictions.predictions p JOIN core.games g USING (event_id)"
        " WHERE p.run_kind = 'daily' AND g.game_date BETWEEN ? AND ? AND NOT g.completed",
        [first, last],
    )
    return {(str(a), str(b), str(c)) for a, b, c in rows}


def test_show_json_one_row_per_game_per_model(forecast_warehouse: Path) -> None:
    proc = _show(forecast_warehouse, "--format", "json", "--as-of", GAME_DAY, "--days", "3")
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    rows: list[dict[str, Any]] = body["rows"]
    keys = [(r["event_id"], r["model_name"], r["model_version"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert set(keys) == _expected(forecast_warehouse, GAME_DAY, "2025-01-27")
    assert all(0.0 <= r["home_win_prob"] <= 1.0 for r in rows)
    # team names, never ESPN ids
    assert all(not r["home_team"].isdigit() and not r["away_team"].isdigit() for r in rows)
    assert {r["game_date"] for r in rows} <= {"2025-01-25", "2025-01-26", "2025-01-27"}


def test_show_table_and_csv(forecast_warehouse: Path) -> None:
    table = _show(forecast_warehouse, "--as-of", GAME_DAY, "--days", "1", "--team", "Duke")
    assert table.returncode == 0, table.stderr
    assert "Duke Blue Devils @ Wake Forest Demon Deacons" in table.stdout
    assert "game_lgbm v1" in table.stdout and "%" in table.stdout
    as_csv = _show(forecast_warehouse, "--as-of", GAME_DAY, "--days", "1", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert rows and {r["game_date"] for r in rows} == {"2025-01-25"}
    assert all(0.0 <= float(r["home_win_prob"]) <= 1.0 for r in rows)


def test_show_bad_input_exit_2(forecast_warehouse: Path, tmp_path: Path) -> None:
    bad = _show(forecast_warehouse, "--as-of", "25-01-2025")
    assert bad.returncode == 2 and "--as-of" in bad.stderr
    none = _show(tmp_path / "hoopcast.duckdb")
    assert none.returncode == 2 and "no snapshot published yet" in none.stderr


def test_exports_have_the_upcoming_rows(forecast_warehouse: Path, tmp_path: Path) -> None:
    import datetime as dt

    from hoopcast_common.db import connect
    from hoopcast_common.forecasts import UPCOMING_COLUMNS
    from hoopcast_predictor.exports import write_exports

    db = tmp_path / "data" / "hoopcast.duckdb"
    db.parent.mkdir()
    shutil.copyfile(forecast_warehouse, db)
    conn = connect(db)
    try:
        written = write_exports(conn, db, dt.date.fromisoformat(GAME_DAY), 7)
    finally:
        conn.close()
    folder = tmp_path / "data" / "exports" / GAME_DAY
    assert written["csv"] == str(folder / "forecasts.csv")
    frame = pd.read_parquet(folder / "forecasts.parquet")
    assert tuple(frame.columns) == UPCOMING_COLUMNS
    from_csv = pd.read_csv(folder / "forecasts.csv", dtype={"event_id": str})
    assert len(frame) == len(from_csv) == int(written["rows"])
    keys = set(zip(frame.event_id, frame.model_name, frame.model_version, strict=True))
    assert keys == _expected(forecast_warehouse, GAME_DAY, "2025-01-31")
    assert frame.home_win_prob.between(0, 1).all()
    assert str(frame.forecast_at.dtype).startswith("datetime64")
    shown = json.loads(_show(forecast_warehouse, "--as-of", GAME_DAY, "--format", "json").stdout)
    assert sorted(from_csv.event_id) == sorted(r["event_id"] for r in shown["rows"])
    assert list(folder.iterdir()) == sorted(folder.iterdir())  # no temporary file left
    assert {p.name for p in folder.iterdir()} == {"forecasts.csv", "forecasts.parquet"}
