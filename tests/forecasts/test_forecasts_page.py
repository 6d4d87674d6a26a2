"""The Forecasts page inside the real Airflow API app (plugin loaded from its entry point,
SimpleAuthManager login), on a warehouse made by the real pipeline on the replay data
(conftest.forecast_warehouse: forecasts made on game days 2025-01-20 and 2025-01-24, the finals
of 2025-01-21..24 scored). Expected values come from SQL on the warehouse file itself."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from forecasts_testing import GAME_DAY
from support.queries import query

SECTION_PAGES = [
    "/forecasts/",
    "/forecasts/results",
    "/forecasts/track-record",
    "/forecasts/models",
]
JSON_TWINS = [
    "/forecasts/api/upcoming",
    "/forecasts/api/results",
    "/forecasts/api/track-record",
    "/forecasts/api/models",
    "/forecasts/api/freshness",
]


def _ui(client: Any, token: str) -> Any:
    """The client as a logged-in browser: the UI's ``_token`` cookie set."""
    client.cookies.clear()
    client.cookies.set("_token", token)
    return client


@pytest.mark.parametrize("path", SECTION_PAGES + JSON_TWINS)
def test_anonymous_gets_401(client: Any, path: str) -> None:
    client.cookies.clear()
    assert client.get(path).status_code == 401


@pytest.mark.parametrize("path", SECTION_PAGES + JSON_TWINS)
def test_ui_cookie_and_bearer_token_get_the_section(client: Any, token: str, path: str) -> None:
    by_cookie = _ui(client, token).get(path)
    assert by_cookie.status_code == 200, by_cookie.text[:500]
    client.cookies.clear()
    by_bearer = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert by_bearer.status_code == 200
    if path.startswith("/forecasts/api/"):
        assert by_bearer.headers["content-type"].startswith("application/json")
        assert by_bearer.json() == by_cookie.json()
    else:
        assert by_bearer.headers["content-type"].startswith("text/html")
        assert "hoopcast forecasts" in by_bearer.text


def test_a_forged_token_is_refused(client: Any, token: str) -> None:
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    response = client.get("/forecasts/", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code in (401, 403)


def test_plugins_endpoint_lists_the_view_and_the_app(client: Any, token: str) -> None:
    response = client.get("/api/v2/plugins", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    plugins = {p["name"]: p for p in response.json()["plugins"]}
    plugin = plugins["hoopcast_forecasts"]
    assert [v["url_route"] for v in plugin["external_views"]] == ["forecasts"]
    view = plugin["external_views"][0]
    assert view["destination"] == "nav" and view["href"] == "forecasts/"
    assert not view["href"].startswith("/")  # relative: resolved against the UI's base URL
    assert [a["url_prefix"] for a in plugin["fastapi_apps"]] == ["/forecasts"]


def test_upcoming_matches_the_warehouse(client: Any, token: str, forecast_warehouse: Path) -> None:
    expected = query(
        forecast_warehouse,
        f"""SELECT DISTINCT p.event_id, p.model_name, p.model_version
            FROM predictions.predictions p JOIN core.games g USING (event_id)
            WHERE p.run_kind = 'daily' AND g.game_date BETWEEN DATE '{GAME_DAY}'
              AND DATE '{GAME_DAY}' + 7 AND NOT g.completed""",
    )
    assert len(expected) > 100
    body = _ui(client, token).get("/forecasts/api/upcoming").json()
    assert body["as_of"] == GAME_DAY  # the latest forecast run's game day
    rows = body["rows"]
    keys = [(r["event_id"], r["model_name"], r["model_version"]) for r in rows]
    assert len(keys) == len(set(keys)) and set(keys) == set(expected)
    assert all(0.0 <= r["home_win_prob"] <= 1.0 for r in rows)
    # every row carries the latest forecast of its game: the run of 2025-01-24, 09:00 ET
    assert {r["forecast_at"] for r in rows} == {"2025-01-24T14:00:00+00:00"}
    # names, not ids, from core.teams
    one = rows[0]
    names = dict(query(forecast_warehouse, "SELECT team_id, display_name FROM core.teams"))
    game = query(
        forecast_warehouse,
        f"SELECT home_team_id, away_team_id FROM core.games WHERE event_id = '{one['event_id']}'",
    )[0]
    assert (one["home_team"], one["away_team"]) == (names[game[0]], names[game[1]])

    page = _ui(client, token).get("/forecasts/").text
    assert f"{one['away_team']} @ <strong>{one['home_team']}</strong>" in page
    assert f"{100 * one['home_win_prob']:.0f}%" in page
    assert page.count("<tr data-event=") == len(rows)


def test_upcoming_filters_by_team_and_date(client: Any, token: str) -> None:
    rows = _ui(client, token).get("/forecasts/api/upcoming", params={"team": "duke"}).json()["rows"]
    assert rows and all("Duke" in r["home_team"] or "Duke" in r["away_team"] for r in rows)
    day = (
        _ui(client, token)
        .get("/forecasts/api/upcoming", params={"day": "2025-01-25"})
        .json()["rows"]
    )
    assert day and {r["game_date"] for r in day} == {"2025-01-25"}
    bad = _ui(client, token).get("/forecasts/api/upcoming", params={"as_of": "24/01/2025"})
    assert bad.status_code == 422


def test_recent_results_hits_against_the_scores(
    client: Any, token: str, forecast_warehouse: Path
) -> None:
    # a hit: the side the forecast of record favoured won (scores straight from core.games)
    hits, games = query(
        forecast_warehouse,
        f"""SELECT count(*) FILTER (WHERE (f.home_win_prob >= 0.5) = (g.home_score > g.away_score)),
                   count(*)
            FROM predictions.forecasts_of_record f JOIN core.games g USING (event_id)
            WHERE g.completed
              AND g.game_date BETWEEN DATE '{GAME_DAY}' - 7 AND DATE '{GAME_DAY}'""",
    )[0]
    assert games > 50
    body = _ui(client, token).get("/forecasts/api/results").json()
    assert len(body["rows"]) == games
    assert sum(1 for r in body["rows"] if r["hit"]) == hits
    page = _ui(client, token).get("/forecasts/results").text
    assert f"picked the winner in {hits} of {games} games" in page
    assert page.count('class="hit">hit<') + page.count('class="miss">miss<') == games


def test_track_record_draws_charts_and_scores(client: Any, token: str) -> None:
    record = _ui(client, token).get("/forecasts/api/track-record").json()
    overall = {r["forecaster"]: r for r in record["overall"]}
    assert {"model", "elo"} <= set(overall)
    assert overall["model"]["games"] == overall["elo"]["games"] > 50
    assert [v["model_version"] for v in record["by_version"]] == ["v1"]
    calibration = record["calibration"]["model"]
    assert sum(b["games"] for b in calibration) == overall["model"]["games"]
    assert all(b["lo"] <= b["mean_prob"] < b["hi"] for b in calibration)
    page = _ui(client, token).get("/forecasts/track-record").text
    assert page.count("<svg") == 4  # accuracy, log-loss, MAE, reliability diagram
    assert 'aria-label="Calibration"' in page
    assert re.search(r"<polyline points=\"[0-9., ]+\"", page)
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )


def test_models_and_freshness(client: Any, token: str, forecast_warehouse: Path) -> None:
    models = _ui(client, token).get("/forecasts/api/models").json()
    assert [(v["version"], v["stage"]) for v in models["versions"]] == [("v1", "production")]
    assert models["versions"][0]["promoted_at"] is not None
    assert models["versions"][0]["metrics"]["model"]["log_loss"] > 0
    page = _ui(client, token).get("/forecasts/models").text
    assert "game_lgbm v1" in page and "production" in page
    stages = _ui(client, token).get("/forecasts/api/freshness").json()["stages"]
    expected = query(
        forecast_warehouse,
        "SELECT stage, max(finished_at) FROM ops.stage_runs WHERE status = 'success' GROUP BY 1",
    )
    assert {s["stage"] for s in stages} == {str(r[0]) for r in expected}
    assert 'id="freshness"' in page and "predictor" in page


def test_no_snapshot_yet(
    client: Any, token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOPCAST_DB", str(tmp_path / "hoopcast.duckdb"))
    page = _ui(client, token).get("/forecasts/")
    assert (
        page.status_code == 200
        and "No snapshot of the warehouse has been published yet" in page.text
    )
    assert _ui(client, token).get("/forecasts/api/upcoming").status_code == 503
