"""D1 membership per season: Queens (ESPN 2511) moved up to D1 in 2022-23.

In the shipped results Queens appears in 2020-21 as a non-D1 opponent (3 games, all against
D1 teams) and from 2022-23 with a full D1 schedule (31 games); ESPN's team list of today has
it as D1. The warehouse is the real results of 2020-21 … 2022-23 loaded by
``bench/features/make_core_db.py`` (no box scores).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUEENS = "2511"


def test_queens_is_non_d1_before_moving_up(tmp_path: Path, features_cli, query) -> None:
    db = tmp_path / "queens.duckdb"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench/features/make_core_db.py"), str(db),
         "--from", "2020-11-01", "--box-from", "2099-01-01"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    query(db, "DELETE FROM core.games WHERE season > 2023")
    assert query(db, f"SELECT is_d1 FROM core.teams WHERE team_id = '{QUEENS}'") == [(True,)]
    code, _summary, err = features_cli(db, "build", "--as-of", "2023-04-03")
    assert code == 0, err

    assert query(
        db,
        f"""SELECT season, games, d1_games, is_d1 FROM features.team_seasons
            WHERE team_id = '{QUEENS}' ORDER BY season""",
    ) == [(2021, 3, 3, False), (2023, 31, 28, True)]

    # game rows: D1 flags of the game's season; 2020-21 games leave the training set
    flags = query(
        db,
        f"""SELECT season, bool_or(is_d1_game), min(CASE WHEN home_team_id = '{QUEENS}'
                THEN f_home_is_d1 ELSE f_away_is_d1 END), max(CASE WHEN home_team_id =
                '{QUEENS}' THEN f_home_is_d1 ELSE f_away_is_d1 END), count(*)
            FROM features.game_features WHERE '{QUEENS}' IN (home_team_id, away_team_id)
            GROUP BY season ORDER BY season""",
    )
    assert flags == [(2021, False, 0.0, 0.0, 3), (2023, True, 1.0, 1.0, 31)]

    # Elo: first seen as a non-D1 team (1100); at its first D1 game the rating regresses 10 %
    # toward the D1 mean 1500 from its last 2020-21 rating
    sides = query(
        db,
        f"""SELECT season, CASE WHEN home_team_id = '{QUEENS}' THEN home_elo_pre
                ELSE away_elo_pre END, CASE WHEN home_team_id = '{QUEENS}' THEN home_elo_post
                ELSE away_elo_post END
            FROM features.elo_game WHERE '{QUEENS}' IN (home_team_id, away_team_id)
            ORDER BY start_epoch, event_id""",
    )
    assert sides[0][:2] == (2021, 1100.0)
    last_2021 = [s for s in sides if s[0] == 2021][-1][2]
    first_2023 = next(s for s in sides if s[0] == 2023)[1]
    assert abs(first_2023 - (0.9 * last_2021 + 0.1 * 1500)) < 1e-6
