"""Collection tasks run the real ingestion CLI (local mode) against the replay server."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
from conftest import REPLAY_AS_OF


def test_collection_tasks_store_rows(dagbag, local_replay_env: Path) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.dags["data_collection"]
    context = {
        "params": {"profile": "replay", "date_from": "2025-01-18", "date_to": "2025-01-19"},
        "logical_date": dt.datetime(2025, 1, 20, tzinfo=dt.UTC),
    }
    teams = dag.get_task("collect_teams").execute(context)
    assert teams["exit_code"] == 0 and teams["stage"] == "ingestion" and teams["command"] == "teams"
    assert teams["as_of"] == REPLAY_AS_OF
    games = dag.get_task("collect_games").execute(context)
    assert games["status"] == "success"
    conn = duckdb.connect(str(local_replay_env), read_only=True)
    try:
        n_teams = conn.execute("SELECT count(*) FROM core.teams").fetchone()[0]  # type: ignore[index]
        dates = conn.execute(
            "SELECT min(game_date), max(game_date), count(*) FROM core.games"
        ).fetchone()
        runs = conn.execute(
            "SELECT command, status FROM ops.stage_runs WHERE stage = 'ingestion'"
            " ORDER BY started_at"
        ).fetchall()
    finally:
        conn.close()
    assert n_teams > 300  # the D1 team list
    assert dates is not None and dates[2] > 20
    assert dates[0] >= dt.date(2025, 1, 18) and dates[1] <= dt.date(2025, 1, 19)
    assert runs == [("teams", "success"), ("games", "success")]
    assert games["counts"]["games_stored"] == dates[2]
