"""The betting line (summary ``pickcenter``, scoreboard ``odds``) and ESPN's predictor: parsed
from the real recordings in data/espn with hand-checked values, and collected over real HTTP
from the replay server (recorded summaries served verbatim; pre-game summaries of scheduled
games) into core.betting_lines and core.espn_predictions."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from hoopcast_ingestion import parse
from ingestion_cli import DATA, query, run_cli

# Eastern Illinois (2197, home) vs Austin Peay (2046), 2013-02-14 (US Eastern): the recording
# with a pickcenter. Every provider's `details` names EIU and its homeTeamOdds.favorite is true,
# so ESPN's `spread` is from the home side: -5.5 = the home team favoured by 5.5 points.
EIU_LINES = {
    # provider id: (name, home_spread, total, home_moneyline, away_moneyline, details)
    "1004": ("consensus", -5.5, None, None, None, "EIU -5.5"),
    "1003": ("numberfire", -6.5, 133.0, -275, 250, "EIU -6.5"),
    "1002": ("teamrankings", -7.0, 133.0, -285, 246, "EIU -7"),
}
# event id → (home team id, predictor.homeTeam.gameProjection / 100, awayTeam's / 100)
PREDICTIONS = {
    "330452197": ("2197", 0.529, 0.471),
    "290710041": ("41", 0.724, 0.276),
    "401706886": ("150", 0.704, 0.296),
    "401715624": ("2752", 0.96, 0.041),
}


def _summary(event_id: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((DATA / f"summary/summary_{event_id}.json").read_text())
    return doc


def _lines(rows: list[dict[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {
        r["provider_id"]: (
            r["provider_name"],
            r["home_spread"],
            r["total"],
            r["home_moneyline"],
            r["away_moneyline"],
            r["details"],
        )
        for r in rows
    }


def test_pickcenter_of_the_recording_with_hand_checked_values() -> None:
    doc = _summary("330452197")
    for entry in doc["pickcenter"]:  # the sign convention, as the recording shows it
        assert entry["homeTeamOdds"]["favorite"] is True and entry["spread"] < 0
        assert entry["details"].startswith("EIU ")
    result = parse.parse_summary(json.dumps(doc), "summary?event=330452197", "330452197")
    assert result.errors == []
    assert {r["source"] for r in result.rows["betting_lines"]} == {"pickcenter"}
    assert _lines(result.rows["betting_lines"]) == EIU_LINES
    assert len(result.rows["team_game_stats"]) == 2  # the box score is still there


@pytest.mark.parametrize("event_id", sorted(PREDICTIONS))
def test_predictor_of_every_recording(event_id: str) -> None:
    result = parse.parse_summary(
        (DATA / f"summary/summary_{event_id}.json").read_text(), "u", event_id
    )
    assert result.errors == []
    (row,) = result.rows["espn_predictions"]
    assert (row["home_team_id"], row["home_win_prob"], row["away_win_prob"]) == (
        PREDICTIONS[event_id]
    )
    if event_id != "330452197":  # the other three have an empty pickcenter
        assert "betting_lines" not in result.rows


def test_a_malformed_pickcenter_entry_is_reported_and_contained() -> None:
    doc = _summary("330452197")
    doc["pickcenter"][1]["spread"] = "six and a half"
    del doc["pickcenter"][2]["provider"]
    result = parse.parse_summary(json.dumps(doc), "summary?event=330452197", "330452197")
    assert [str(e) for e in result.errors] == [
        "summary?event=330452197: at pickcenter[1].spread: expected a number, got 'six and a half'",
        "summary?event=330452197: at pickcenter[2].provider: missing key",
    ]
    assert _lines(result.rows["betting_lines"]) == {"1004": EIU_LINES["1004"]}
    assert len(result.rows["team_game_stats"]) == 2
    assert result.rows["espn_predictions"][0]["home_win_prob"] == 0.529

    doc = _summary("330452197")
    doc["predictor"]["homeTeam"]["gameProjection"] = "152.9"
    result = parse.parse_summary(json.dumps(doc), "u", "330452197")
    assert [e.path for e in result.errors] == ["predictor.homeTeam.gameProjection"]
    assert "espn_predictions" not in result.rows and len(result.rows["betting_lines"]) == 3


def test_scoreboard_odds_become_lines_of_the_game() -> None:
    """The scoreboard recording carries no odds; ESPN's odds entries have pickcenter's shape
    (provider, details, spread, overUnder, home/awayTeamOdds), so two real pickcenter entries
    stand in for them here."""
    doc = json.loads((DATA / "scoreboard/scoreboard_20241201_sdvpy_fixture.json").read_text())
    doc["events"][0]["competitions"][0]["odds"] = copy.deepcopy(
        _summary("330452197")["pickcenter"][1:]
    )
    result = parse.parse_scoreboard(json.dumps(doc), "u", dt.date(2024, 12, 1))
    assert result.errors == []
    assert len(result.rows["games"]) == 1
    rows = result.rows["betting_lines"]
    assert {(r["event_id"], r["source"]) for r in rows} == {("401715624", "scoreboard_odds")}
    assert _lines(rows) == {k: EIU_LINES[k] for k in ("1003", "1002")}


def test_lines_and_predictor_collected_from_the_replay(tmp_path: Path, replay_server: str) -> None:
    """The replay serves the recorded summary of 330452197 verbatim: `stats` derives its three
    lines and ESPN's predictor, keyed by the raw response's fetched_at; a second run fetches
    nothing and writes nothing twice."""
    db = tmp_path / "w.duckdb"
    settings = {"HOOPCAST_INGEST_SUMMARIES_FROM": "2013-02-14"}
    games = run_cli(
        "games", "--from", "2013-02-14", "--to", "2013-02-14", "--as-of", "2025-01-20",
        db=db, base_url=replay_server, **settings,
    )  # fmt: skip
    assert games.code == 0, games.stderr[-2000:]
    stats = run_cli("stats", "--as-of", "2025-01-20", db=db, base_url=replay_server, **settings)
    assert stats.code == 0, stats.stderr[-2000:]
    assert stats.summary["counts"]["parse_errors"] == 0
    assert stats.summary["counts"]["lines_stored"] >= 3
    lines = query(
        db,
        "SELECT provider_id, provider_name, home_spread, total, home_moneyline,"
        " away_moneyline, details FROM core.betting_lines WHERE event_id = '330452197'"
        " AND source = 'pickcenter'",
    )
    assert {r[0]: r[1:] for r in lines} == EIU_LINES
    # The scoreboard (reconstructed by the replay) carries the results file's line as ESPN's
    # consensus odds: "0,Austin Peay,71,Eastern Illinois,64,20130214,6.5" (away +6.5).
    assert query(
        db,
        "SELECT provider_id, provider_name, home_spread, total, details FROM core.betting_lines"
        " WHERE event_id = '330452197' AND source = 'scoreboard_odds'",
    ) == [("1004", "consensus", -6.5, None, "EIU -6.5")]
    assert query(
        db,
        "SELECT DISTINCT l.fetched_at = r.fetched_at, l.source, r.endpoint"
        " FROM core.betting_lines l JOIN raw.responses r USING (response_id)"
        " WHERE l.event_id = '330452197' ORDER BY ALL",
    ) == [(True, "pickcenter", "summary"), (True, "scoreboard_odds", "scoreboard")]
    assert query(
        db,
        "SELECT home_team_id, home_win_prob, away_win_prob FROM core.espn_predictions"
        " WHERE event_id = '330452197'",
    ) == [PREDICTIONS["330452197"]]

    before = query(db, "SELECT count(*) FROM core.betting_lines")[0][0]
    again = run_cli("stats", "--as-of", "2025-01-20", db=db, base_url=replay_server, **settings)
    assert again.code == 0, again.stderr[-2000:]
    assert again.summary["counts"]["requests"] == 0
    assert query(db, "SELECT count(*) FROM core.betting_lines")[0][0] == before

    # Re-derivable: emptied, both tables come back from raw.responses alone (no request).
    snapshot = "SELECT * EXCLUDE (updated_at) FROM core.{} ORDER BY ALL"
    kept = {t: query(db, snapshot.format(t)) for t in ("betting_lines", "espn_predictions")}
    conn = duckdb.connect(str(db))
    conn.execute("DELETE FROM core.betting_lines; DELETE FROM core.espn_predictions")
    conn.close()
    rederived = run_cli("lines", "--from-raw", "--as-of", "2025-01-20", db=db, base_url="x")
    assert rederived.code == 0, rederived.stderr[-2000:]
    assert rederived.summary["counts"]["lines_stored"] == before
    assert {t: query(db, snapshot.format(t)) for t in kept} == kept


def test_pregame_summaries_are_bounded_and_incremental(tmp_path: Path, replay_server: str) -> None:
    """Scheduled games of 2025-01-21/22 (replay clock 2025-01-20): `lines` fetches at most
    HOOPCAST_LINES_MAX_PER_RUN summaries, soonest tip-off first; a game already fetched today
    is not fetched again unless it tips off within HOOPCAST_LINES_REFRESH_HOURS."""
    db = tmp_path / "w.duckdb"
    games = run_cli(
        "games", "--from", "2025-01-21", "--to", "2025-01-22", "--as-of", "2025-01-21",
        db=db, base_url=replay_server,
    )  # fmt: skip
    assert games.code == 0, games.stderr[-2000:]
    order = [
        r[0]
        for r in query(
            db,
            "SELECT event_id FROM core.games WHERE NOT completed"
            " ORDER BY start_time_utc NULLS LAST, event_id",
        )
    ]
    assert len(order) > 10

    def lines(**settings: str) -> list[str]:
        before = query(db, "SELECT max(last_fetched_at) FROM raw.responses")
        run = run_cli(
            "lines", "--as-of", "2025-01-21", db=db, base_url=replay_server,
            HOOPCAST_LINES_MAX_PER_RUN="5", **settings,
        )  # fmt: skip
        assert run.code == 0, run.stderr[-2000:]
        assert run.summary["counts"]["pregame_summaries"] == 5
        assert run.summary["counts"]["parse_errors"] == 0
        return [
            r[0]
            for r in query(
                db,
                "SELECT request_key FROM raw.responses WHERE endpoint = 'summary_pregame'"
                " AND last_fetched_at > ?",
                [before[0][0]],
            )
        ]

    assert sorted(lines(HOOPCAST_LINES_REFRESH_HOURS="0")) == sorted(order[:5])
    # Fetched today already and none within 0 hours of tip-off: the next five.
    assert sorted(lines(HOOPCAST_LINES_REFRESH_HOURS="0")) == sorted(order[5:10])
    # Within 48 hours of the run's clock (09:00 US Eastern on 2025-01-21) every game is due
    # again: soonest first.
    assert sorted(lines(HOOPCAST_LINES_REFRESH_HOURS="48")) == sorted(order[:5])
    # The summaries of scheduled games are kept apart from box-score summaries.
    assert query(db, "SELECT count(*) FROM raw.responses WHERE endpoint = 'summary'") == [(0,)]


def test_a_negative_lines_setting_is_bad_input(tmp_path: Path) -> None:
    run = run_cli(
        "lines", "--as-of", "2025-01-21", db=tmp_path / "w.duckdb", base_url="http://127.0.0.1:9",
        HOOPCAST_LINES_MAX_PER_RUN="-1",
    )  # fmt: skip
    assert run.code == 2
    assert "HOOPCAST_LINES_MAX_PER_RUN" in run.summary["error"]
    assert query(tmp_path / "w.duckdb", "SELECT count(*) FROM raw.responses") == [(0,)]


def test_the_line_of_a_scheduled_game_before_tip_off(
    tmp_path: Path, replay_server_factory: Any
) -> None:
    """Replay clock 2024-11-30: South Carolina State at Xavier (401715624) on 2024-12-01 is
    scheduled; its results-file line "0,South Carolina State,68,Xavier,71,20241201,27" (away
    +27) is served as ESPN's consensus pickcenter of the summary and odds of the scoreboard.
    `games` then `lines` for game day 2024-12-01 store it from both, before tip-off."""
    db = tmp_path / "w.duckdb"
    with replay_server_factory(now="2024-11-30") as url:
        games = run_cli(
            "games", "--from", "2024-12-01", "--to", "2024-12-01", "--as-of", "2024-12-01",
            db=db, base_url=url,
        )  # fmt: skip
        assert games.code == 0, games.stderr[-2000:]
        lines = run_cli("lines", "--as-of", "2024-12-01", db=db, base_url=url)
    assert lines.code == 0, lines.stderr[-2000:]
    scheduled = query(db, "SELECT count(*) FROM core.games WHERE NOT completed")[0][0]
    assert lines.summary["counts"]["pregame_summaries"] == scheduled > 0
    assert lines.summary["counts"]["parse_errors"] == 0
    assert query(
        db,
        "SELECT l.source, r.endpoint, l.provider_id, l.provider_name, l.home_spread,"
        " l.details FROM core.betting_lines l JOIN raw.responses r USING (response_id)"
        " WHERE l.event_id = '401715624' ORDER BY 1",
    ) == [
        ("pickcenter", "summary_pregame", "1004", "consensus", -27.0, "XAV -27"),
        ("scoreboard_odds", "scoreboard", "1004", "consensus", -27.0, "XAV -27"),
    ]
    assert query(db, "SELECT status FROM core.games WHERE event_id = '401715624'") == [
        ("STATUS_SCHEDULED",)
    ]
