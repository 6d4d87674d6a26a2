"""The build on histories starting at different seasons, as ingestion collects them.

``hoopcast-ingestion collect --from 2019-11-01`` once made the build stop (blocking
``team_rating_range``): without box scores (ingestion fetches them from 2024-11 on) every
game counted 68 possessions, and in the first season of a history no previous-season prior damps
a fast, lopsided start (Mississippi Valley State 2019-20, ESPN 2400: 110, 143, 134, 91, 76
points allowed in its first five games). The warehouse here is the shipped results loaded by
``bench/features/make_core_db.py`` with box scores from 2024-11-01 only, cut to start at each
history's first season.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTS = ("2010-11-01", "2015-11-01", "2019-11-01", "2024-11-01")


@pytest.fixture(scope="module")
def full_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every shipped season 2010-11 … 2025-26 (finals through 2026-02-14), box scores from
    2024-11-01."""
    db = tmp_path_factory.mktemp("histories") / "shipped.duckdb"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench/features/make_core_db.py"), str(db),
         "--box-from", "2024-11-01"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return db


@pytest.mark.slow
@pytest.mark.parametrize("start", STARTS)
def test_build_passes_on_each_history(
    start: str, full_history: Path, tmp_path: Path, features_cli, query
) -> None:
    db = tmp_path / "history.duckdb"
    shutil.copyfile(full_history, db)
    query(
        db,
        f"""DELETE FROM core.team_game_stats WHERE event_id IN
            (SELECT event_id FROM core.games WHERE game_date < DATE '{start}');
            DELETE FROM core.games WHERE game_date < DATE '{start}'""",
    )
    code, summary, err = features_cli(db, "build", "--as-of", "2026-02-15")
    assert code == 0, err[-2000:]
    games = query(db, "SELECT count(*) FROM core.games")[0][0]
    assert summary["counts"]["team_rows_written"] == 2 * games
    results = {
        r[0]: r[1:]
        for r in query(
            db,
            f"""SELECT check_name, severity, passed, failing_rows FROM ops.quality_checks
                WHERE run_id = '{summary["run_id"]}'""",
        )
    }
    assert all(passed for severity, passed, _ in results.values() if severity != "warning")
    assert results["team_rating_range"] == ("flag", True, 0)
    assert query(
        db, "SELECT count(*) FROM features.game_features WHERE quality_flags IS NOT NULL"
    ) == [(0,)]
    if start == "2019-11-01":  # the row that stopped the build: now below the range's top
        value = query(
            db,
            """SELECT f_def_rtg FROM features.team_game_features
               WHERE team_id = '2400' AND season = 2020 AND f_games_played = 5""",
        )[0][0]
        assert 130 < value < 160
