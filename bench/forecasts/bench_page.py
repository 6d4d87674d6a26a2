"""Server time of the Forecasts page with a full season of forecasts.

Takes a warehouse made by ``make pipeline`` (default ``var/hoopcast.duckdb``), copies it to a
temporary folder and gives it daily forecasts at production volume: every game of the latest
``--seasons`` seasons (default 2: the whole previous season and the current one to date) is
forecast on each game day from 7 days before it up to its own (or up to
the warehouse's last game day, for games not played yet), at 09:00 US Eastern, by a production
and a challenger model (probabilities from the game's Elo with noise, so the metrics are those
of a plausible forecaster). Then it runs the real ``hoopcast-predictor scorecard``, publishes the
snapshot, starts the real Airflow API app in-process (SimpleAuthManager, migrated SQLite
metadata DB in a temporary AIRFLOW_HOME), logs in, and requests every page and JSON twin
``--repeat`` times after one warm-up request, printing the median and worst time per path.
The page's budget is 300 ms per page.

    uv run python bench/forecasts/bench_page.py [--db var/hoopcast.duckdb] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATHS = [
    "/forecasts/",
    "/forecasts/results",
    "/forecasts/track-record",
    "/forecasts/models",
    "/forecasts/api/upcoming",
    "/forecasts/api/results",
    "/forecasts/api/track-record",
    "/forecasts/api/models",
    "/forecasts/api/freshness",
]
BUDGET_MS = 300.0


def season_of_forecasts(db: Path, seasons: int) -> dict[str, object]:
    """Add the synthetic season of daily forecasts (see the module docstring) to ``db``."""
    from hoopcast_common.db import connect

    conn = connect(db)
    try:
        season, clock = conn.execute(
            "SELECT max(season), max(game_date) FILTER (WHERE completed) FROM core.games"
        ).fetchone() or (None, None)
        conn.execute("DELETE FROM predictions.predictions WHERE run_kind = 'daily'")
        conn.execute(
            """
            INSERT INTO predictions.predictions (event_id, model_name, model_version, model_role,
                forecast_at, predicted_at, as_of, run_kind, game_date, home_team_id,
                away_team_id, home_win_prob, predicted_margin, batch_id)
            SELECT g.event_id, 'game_lgbm', m.version, m.role,
                   timezone('America/New_York', d.as_of + INTERVAL 9 HOUR),
                   timezone('America/New_York', d.as_of + INTERVAL 9 HOUR),
                   d.as_of, 'daily', g.game_date, g.home_team_id, g.away_team_id,
                   p.prob, 25 * (p.prob - 0.5), 'bench-' || d.as_of
            FROM core.games g
            JOIN features.elo_game e USING (event_id)
            CROSS JOIN (VALUES ('v1', 'production', 0.05), ('v2', 'challenger', 0.08))
                 m(version, role, noise)
            CROSS JOIN LATERAL (
                SELECT least(greatest(e.elo_home_prob + m.noise
                       * ((hash(g.event_id || m.version) % 2001)::INTEGER - 1000) / 1000.0,
                       0.01), 0.99) AS prob) p
            CROSS JOIN LATERAL (
                SELECT unnest(generate_series(g.game_date - 7, least(g.game_date, ?::DATE),
                       INTERVAL 1 DAY))::DATE AS as_of) d
            WHERE g.season > ? - ? AND g.start_time_utc IS NOT NULL
            """,
            [clock, season, seasons],
        )
        rows = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM predictions.predictions"
            " WHERE run_kind = 'daily'"
        ).fetchone()
    finally:
        conn.close()
    assert rows is not None
    return {
        "seasons": f"{season - seasons + 1}..{season}",
        "game_day": str(clock),
        "forecasts": rows[0],
        "games": rows[1],
    }


def main() -> None:
    """Build the bench warehouse, time every path, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var" / "hoopcast.duckdb")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seasons", type=int, default=2)
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"{args.db}: no warehouse; run `make pipeline` first")
    work = Path(tempfile.mkdtemp(prefix="hoopcast-bench-forecasts-"))
    try:
        db = work / "hoopcast.duckdb"
        shutil.copyfile(args.db, db)
        t0 = time.perf_counter()
        made = season_of_forecasts(db, args.seasons)
        env = {**os.environ, "HOOPCAST_DB": str(db), "HOOPCAST_ENV": "local"}
        env.pop("HOOPCAST_AS_OF", None)
        predictor = Path(sys.executable).with_name("hoopcast-predictor")
        scored = subprocess.run(
            [str(predictor), "scorecard", "--as-of", str(made["game_day"])],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        from hoopcast_common.db import connect
        from hoopcast_common.snapshot import publish_snapshot

        conn = connect(db)
        try:
            publish_snapshot(conn, db)
            finals = conn.execute("SELECT count(*) FROM predictions.scorecard_games").fetchone()
        finally:
            conn.close()
        made["scored_games"] = finals[0] if finals else 0
        made["scorecard"] = json.loads(scored.stdout.strip().splitlines()[-1]).get("counts")
        print(f"bench warehouse: {made} (built in {time.perf_counter() - t0:.1f} s)")

        home = work / "airflow"
        home.mkdir()
        (home / "passwords.json").write_text(json.dumps({"admin": "bench"}))
        os.environ.update(
            {
                "AIRFLOW_HOME": str(home),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__AUTH_MANAGER": "airflow.api_fastapi.auth.managers.simple."
                "simple_auth_manager.SimpleAuthManager",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(64),
                "AIRFLOW__LOGGING__LOGGING_LEVEL": "WARNING",
                "HOOPCAST_DB": str(db),
            }
        )
        airflow = Path(sys.executable).with_name("airflow")
        subprocess.run([str(airflow), "db", "migrate"], check=True, capture_output=True)
        from airflow.api_fastapi.app import create_app
        from fastapi.testclient import TestClient

        with TestClient(create_app("core")) as client:
            token = client.post("/auth/token", json={"username": "admin", "password": "bench"})
            client.cookies.set("_token", token.json()["access_token"])
            print(f"{'path':<30} {'bytes':>9} {'median ms':>10} {'max ms':>8}")
            worst = 0.0
            for path in PATHS:
                first = client.get(path)
                assert first.status_code == 200, (path, first.status_code, first.text[:300])
                times = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    response = client.get(path)
                    times.append(1000 * (time.perf_counter() - start))
                    assert response.status_code == 200
                median = statistics.median(times)
                worst = max(worst, median)
                print(f"{path:<30} {len(first.content):>9} {median:>10.1f} {max(times):>8.1f}")
        verdict = "within" if worst <= BUDGET_MS else "OVER"
        print(f"slowest median {worst:.1f} ms: {verdict} the {BUDGET_MS:.0f} ms budget")
        print(f"load average at the end: {os.getloadavg()[0]:.1f} ({os.cpu_count()} cores)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
