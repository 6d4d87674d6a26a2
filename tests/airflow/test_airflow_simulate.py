"""``hoopcast-simulate`` for three game days on the 2025-26 season of the shipped results: the
real replay server, real Airflow DAG runs (``DAG.test``) in local mode, the real stage CLIs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.network import free_port

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "data" / "results" / "grdavis_cbb_games_20101101_20260214.csv"


@pytest.mark.slow
def test_three_game_days_forecast_every_game_on_its_game_day(tmp_path: Path) -> None:
    season = tmp_path / "results.csv"
    rows = [r for r in RESULTS.read_text().splitlines() if r.split(",")[5] >= "20251101"]
    season.write_text("\n".join(rows) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "HOOPCAST_"))}
    env |= {
        "HOOPCAST_DB": str(tmp_path / "hoopcast.duckdb"),
        "HOOPCAST_INGEST_START": "2025-11-01",
        "HOOPCAST_INGEST_SUMMARIES_FROM": "2026-01-05",
    }
    command = [str(Path(sys.executable).parent / "hoopcast-simulate")]
    command += ["--from", "2026-01-12", "--to", "2026-01-14", "--results", str(season)]
    command += ["--port", str(free_port()), "--dags-folder", str(ROOT / "airflow" / "dags")]
    proc = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-2000:]
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary["days_run"] == 3 and summary["failed"] == []
    # games of 12 and 13 January are final by the morning of the 14th; each has a forecast of
    # record made on its own game day, before tip-off
    assert summary["games"] > 20
    assert summary["forecasts_of_record"] == summary["games"]
    assert summary["made_on_game_day"] == summary["games"]
    # one progress line per game day on stderr
    for day in ("2026-01-12", "2026-01-13", "2026-01-14"):
        assert f"simulate: game day {day}: " in proc.stderr
    # the betting line was fetched on each game day's morning by the pipeline's clock, so it
    # is known before tip-off and scored on the same games
    overall = {row["forecaster"]: row for row in summary["scorecard"]["overall"]}
    assert {"model", "elo", "line"} <= set(overall)
    assert 0 < overall["line"]["games"] <= summary["games"]
    model = next(r for r in summary["scorecard"]["overall"] if r["forecaster"] == "model")
    assert model["games"] == summary["games"] and 0 < model["log_loss"] < 0.7
