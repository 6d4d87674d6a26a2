"""Hand-checked feature values on a small real slice: Xavier's first three games of 2024-25.

Rows copied from data/results/grdavis_cbb_games_20101101_20260214.csv (scores) and
data/boxscores/ncaa_mbb_team_box_2025.parquet (box scores), with the ESPN event ids and start
times ESPN uses (the replay server's ids for these games):

    401715621  2024-11-04  Texas Southern (2640) 69 at Xavier (2752) 78
    401715622  2024-11-08  IU Indy (85)          80 at Xavier (2752) 94
    401715623  2024-11-12  Jackson State (2296)  57 at Xavier (2752) 94

Expected numbers are worked out below by hand from the formulas in docs/guides/features.md.
"""

from __future__ import annotations

import math
from pathlib import Path

from hoopcast_common.db import connect

GAMES = [
    ("401715621", "2024-11-04", "2024-11-04 23:00:00+00", "2752", "2640", 78, 69),
    ("401715622", "2024-11-08", "2024-11-09 00:00:00+00", "2752", "85", 94, 80),
    ("401715623", "2024-11-12", "2024-11-13 00:00:00+00", "2752", "2296", 94, 57),
]
# event, team, home_away, points, fgm, fga, tpm, tpa, ftm, fta, orb, drb, tov
BOX = [
    ("401715621", "2752", "home", 78, 19, 51, 6, 23, 34, 41, 7, 27, 9),
    ("401715621", "2640", "away", 69, 24, 58, 10, 23, 11, 13, 8, 26, 17),
    ("401715622", "2752", "home", 94, 33, 59, 10, 18, 18, 22, 9, 24, 8),
    ("401715622", "85", "away", 80, 28, 60, 14, 28, 10, 12, 8, 18, 9),
    ("401715623", "2752", "home", 94, 33, 61, 16, 31, 12, 15, 6, 40, 10),
    ("401715623", "2296", "away", 57, 19, 66, 5, 20, 14, 20, 12, 23, 10),
]


def _make_db(path: Path) -> None:
    conn = connect(path)
    for team in ("2752", "2640", "85", "2296"):
        conn.execute("INSERT INTO core.teams (team_id, is_d1) VALUES (?, true)", [team])
    for event, day, start, home, away, hs, as_ in GAMES:
        conn.execute(
            "INSERT INTO core.games (event_id, season, season_type, game_date, start_time_utc,"
            " status, status_state, completed, neutral_site, home_team_id, away_team_id,"
            " home_score, away_score, periods) VALUES"
            " (?, 2025, 2, ?, ?, 'STATUS_FINAL', 'post', true, false, ?, ?, ?, ?, 2)",
            [event, day, start, home, away, hs, as_],
        )
    conn.executemany(
        "INSERT INTO core.team_game_stats (event_id, team_id, home_away, points, fgm, fga, tpm,"
        " tpa, ftm, fta, orb, drb, tov) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        BOX,
    )
    conn.close()


def test_feature_calculation(tmp_path: Path, features_cli, query) -> None:
    db = tmp_path / "slice.duckdb"
    _make_db(db)
    code, summary, err = features_cli(db, "build", "--as-of", "2024-11-13")
    assert code == 0, err
    assert summary["counts"]["game_rows_written"] == 3

    # --- Elo, game 1: both teams new D1 teams at 1500, home advantage 85 Elo points.
    p1 = 1 / (1 + 10 ** (-85 / 400))  # = 0.619941
    assert abs(p1 - 0.619941) < 1e-6
    mult1 = (9 + 3) ** 0.8 / (7.5 + 0.006 * 85)  # Xavier won by 9: 7.300372 / 8.01 = 0.911407
    # K = 28, tripled at a team's first game of the season (early-season boost 2, half-life 5)
    xavier_after_1 = 1500 + 28 * 3 * mult1 * (1 - p1)  # → 1529.10
    assert abs(xavier_after_1 - 1529.10) < 0.01
    k_game2 = 28 * (1 + 2 * 0.5 ** (1 / 5))  # Xavier's second game: boost decayed by 2^(-1/5)
    assert abs(k_game2 - 76.75) < 0.01
    # game 2: Xavier 1529.10 vs new IU Indy 1500
    diff2 = xavier_after_1 + 85 - 1500
    p2 = 1 / (1 + 10 ** (-diff2 / 400))
    elo = {
        row[0]: row[1:]
        for row in query(
            db, "SELECT event_id, home_elo_pre, away_elo_pre, elo_home_prob FROM features.elo_game"
        )
    }
    assert elo["401715621"] == (1500.0, 1500.0, elo["401715621"][2])
    assert abs(elo["401715621"][2] - p1) < 1e-12
    assert abs(elo["401715622"][0] - xavier_after_1) < 1e-9
    assert abs(elo["401715622"][2] - p2) < 1e-12
    mult2 = (14 + 3) ** 0.8 / (7.5 + 0.006 * diff2)  # Xavier won game 2 by 14
    xavier_after_2 = xavier_after_1 + k_game2 * mult2 * (1 - p2)
    assert abs(elo["401715623"][0] - xavier_after_2) < 1e-9

    # --- Ratings. Possessions = mean of both teams' FGA − ORB + TOV + 0.475·FTA.
    poss1 = ((51 - 7 + 9 + 0.475 * 41) + (58 - 8 + 17 + 0.475 * 13)) / 2  # 72.825
    poss2 = ((59 - 9 + 8 + 0.475 * 22) + (60 - 8 + 9 + 0.475 * 12)) / 2  # 67.575
    off1, def1 = 100 * 78 / poss1, 100 * 69 / poss1  # 107.106, 94.748
    off2 = 100 * 94 / poss2  # 139.105
    assert abs(off1 - 107.106) < 1e-3 and abs(off2 - 139.105) < 1e-3
    lam = math.log(2) / 20  # half-life 20 games; game k of the season weighs exp(λ·k)
    w1, w2 = math.exp(lam * 1), math.exp(lam * 2)
    rows = {
        r[0]: r[1:]
        for r in query(
            db,
            "SELECT event_id, f_off_rtg, f_def_rtg, f_pace, f_games_played, f_rest_days,"
            " f_adj_off, f_win_pct FROM features.team_game_features WHERE team_id = '2752'",
        )
    }
    # game 1: nothing earlier (no previous season either) → NULL ratings, 0 games played
    assert rows["401715621"][0] is None and rows["401715621"][3] == 0.0
    # game 2: only game 1
    off, dfn, pace, played, rest, adj_off, win_pct = rows["401715622"]
    assert abs(off - off1) < 1e-9 and abs(dfn - def1) < 1e-9 and abs(pace - poss1) < 1e-9
    assert played == 1.0 and rest == 4.0 and win_pct == 1.0
    # opponent-adjusted: Texas Southern had no rating yet (114 allowed per 100 assumed), home
    # edge 3.2/2 per side: 107.106 − (114 − 103) − 1.6 = 94.506
    assert abs(adj_off - (off1 - (114 - 103) - 1.6)) < 1e-9
    # game 3: exponentially weighted mean of games 1 and 2
    expected_off3 = (w1 * off1 + w2 * off2) / (w1 + w2)
    assert abs(rows["401715623"][0] - expected_off3) < 1e-9
    assert rows["401715623"][3] == 2.0

    # --- Game layer: labels, differences, the Elo baseline.
    game = query(
        db,
        "SELECT home_win, home_margin, elo_home_prob, f_diff_elo, f_neutral_site, is_d1_game"
        " FROM features.game_features WHERE event_id = '401715622'",
    )[0]
    assert game[0] is True and game[1] == 14
    assert abs(game[2] - p2) < 1e-12
    assert abs(game[3] - (xavier_after_1 - 1500)) < 1e-9
    assert game[4] == 0.0 and game[5] is True

    # --- Least-squares ratings (ls_rating.py): all four teams are new D1 teams, prior −5,
    # ridge 5 games, home court 2 points. Game 1: no earlier game → both at their prior.
    ls = {
        (r[0], r[1]): r[2]
        for r in query(db, "SELECT event_id, team_id, f_ls_rating FROM features.team_game_features")
    }
    assert ls[("401715621", "2752")] == -5.0 and ls[("401715621", "2640")] == -5.0
    # game 2 sees game 1 (Xavier +9 at home → target 9 − 2 = 7); with x = −5 + a, t = −5 − a
    # minimise (7 − 2a)² + 10a² → a = 1: Xavier −4, Texas Southern −6; IU Indy unrated: −5
    assert abs(ls[("401715622", "2752")] - -4.0) < 1e-6
    assert ls[("401715622", "85")] == -5.0
    # game 3 sees games 1 and 2 (targets 7 and 14 − 2 = 12); offsets a (Xavier), b, c:
    # b = (a − 7)/6, c = (a − 12)/6, 7a − (b + c) = 19 → a = 95/40 = 2.375 → Xavier −2.625
    assert abs(ls[("401715623", "2752")] - -2.625) < 1e-6
    assert ls[("401715623", "2296")] == -5.0
    diff = query(
        db, "SELECT f_diff_ls_rating FROM features.game_features WHERE event_id = '401715622'"
    )[0][0]
    assert abs(diff - 1.0) < 1e-6


def test_overtime_final_is_labelled_and_rated(tmp_path: Path, features_cli, query) -> None:
    """Game 1 ended in overtime (ESPN status STATUS_FINAL_OT): it is a final game like any
    other, so it is labelled and Xavier's next row counts it, with the same hand-checked
    values as the regulation final above."""
    db = tmp_path / "slice.duckdb"
    _make_db(db)
    query(
        db,
        "UPDATE core.games SET status = 'STATUS_FINAL_OT', periods = 3"
        " WHERE event_id = '401715621'",
    )
    code, _summary, err = features_cli(db, "build", "--as-of", "2024-11-13")
    assert code == 0, err
    assert query(
        db, "SELECT home_win, home_margin FROM features.game_features WHERE event_id = '401715621'"
    ) == [(True, 9)]
    p1 = 1 / (1 + 10 ** (-85 / 400))
    xavier_after_1 = 1500 + 28 * 3 * ((9 + 3) ** 0.8 / (7.5 + 0.006 * 85)) * (1 - p1)
    poss1 = ((51 - 7 + 9 + 0.475 * 41) + (58 - 8 + 17 + 0.475 * 13)) / 2
    played, off, elo = query(
        db,
        "SELECT f_games_played, f_off_rtg, f_elo FROM features.team_game_features"
        " WHERE event_id = '401715622' AND team_id = '2752'",
    )[0]
    assert played == 1.0
    assert abs(off - 100 * 78 / poss1) < 1e-9  # 107.106 from the overtime game
    assert abs(elo - xavier_after_1) < 1e-6  # 1529.10: the overtime win moved Elo
    checks = query(
        db,
        "SELECT passed FROM ops.quality_checks WHERE check_name = 'game_labels_only_when_final'",
    )
    assert checks == [(True,)]
