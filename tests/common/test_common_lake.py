"""DuckLake-only behaviour, on a real PostgreSQL catalog and a real S3 server (skipped with the
reason when the PostgreSQL binaries or ``weed`` are absent): concurrent writers, and exit 3
naming the endpoint when PostgreSQL or S3 is down."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from hoopcast_common import db
from hoopcast_common.errors import EXIT_UPSTREAM_UNAVAILABLE, WarehouseBusyError
from hoopcast_common.runs import last_json_line
from support.lake_fixtures import Lake, LakeServers, _start_weed, make_lake

ROOT = Path(__file__).resolve().parents[2]
FEATURES = str(Path(sys.executable).with_name("hoopcast-features"))


def _run_features(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [FEATURES, "build", "--as-of", "2025-01-20"],
        env={**os.environ, "HOOPCAST_ENV": "local", "HOOPCAST_LOG_LEVEL": "WARNING", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _insert_games(conn: object, count: int) -> None:
    assert hasattr(conn, "execute")
    conn.execute(
        "INSERT INTO core.games (event_id, season, game_date, status, home_team_id,"
        " away_team_id) SELECT 'e' || i, 2025, DATE '2025-01-01' + (i % 60)::INTEGER,"
        " 'STATUS_SCHEDULED', 'h' || (i % 50), 'a' || (i % 50) FROM range(?) r(i)",
        [count],
    )


def test_two_overlapping_writers_one_commits_the_other_exits_3(
    new_lake: Callable[[], Lake],
) -> None:
    """Both writers upsert the same watermark and different ones; their transactions overlap
    (a barrier holds both open until each has written). Exactly one commits; the other gets
    WarehouseBusyError (exit 3) and leaves nothing: no lost and no duplicated row."""
    lake = new_lake()
    db.connect(lake.warehouse).close()  # migrate once, before the race
    barrier = threading.Barrier(2, timeout=120)
    outcomes: dict[str, str] = {}

    def writer(name: str) -> None:
        conn = db.connect(lake.warehouse)
        try:
            with db.transaction(conn):
                for collector in ("shared", name):
                    db.merge_rows(
                        conn,
                        "ops.watermarks",
                        "SELECT ?::VARCHAR AS collector, DATE '2025-01-20' AS watermark,"
                        " now() AS updated_at",
                        ("collector",),
                        ("collector", "watermark", "updated_at"),
                        params=[collector],
                    )
                barrier.wait()
            outcomes[name] = "committed"
        except WarehouseBusyError as exc:
            assert exc.exit_code == EXIT_UPSTREAM_UNAVAILABLE
            outcomes[name] = "busy"
        finally:
            conn.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("w1", "w2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert sorted(outcomes.values()) == ["busy", "committed"], outcomes
    winner = next(n for n, o in outcomes.items() if o == "committed")
    conn = db.connect(lake.warehouse)
    try:
        rows = conn.execute("SELECT collector FROM ops.watermarks ORDER BY 1").fetchall()
    finally:
        conn.close()
    assert rows == sorted([("shared",), (winner,)])


def test_catalog_down_exits_3_naming_the_endpoint(
    lake_servers: LakeServers, new_lake: Callable[[], Lake]
) -> None:
    lake = new_lake()
    db.connect(lake.warehouse).close()
    lake_servers.postgres.stop()
    try:
        result = _run_features(lake.env)
    finally:
        lake_servers.postgres.start()
    assert result.returncode == EXIT_UPSTREAM_UNAVAILABLE, result.stderr[-2000:]
    summary = last_json_line(result.stdout)
    assert summary["status"] == "upstream_unavailable"
    dbname = lake.warehouse.catalog.split()[0].removeprefix("dbname=")
    assert f"127.0.0.1:{lake_servers.postgres.port}/{dbname}" in summary["error"]
    assert lake_servers.postgres.password not in result.stdout + result.stderr


def test_object_store_down_exits_3_naming_the_endpoint(
    lake_servers: LakeServers, tmp_path: Path
) -> None:
    """A lake whose data sit on an S3 server of its own, which is stopped after the data are
    written: the stage exits 3 and names that endpoint, never the key pair."""
    root = Path(tempfile.mkdtemp(prefix="hoopcast-s3-"))
    private = _start_weed(root, str(Path(sys.executable).with_name("weed")))
    try:
        own = LakeServers(lake_servers.postgres, private, lake_servers.secrets_dir)
        lake = make_lake(own, tmp_path / "hoopcast.duckdb")
        conn = db.connect(lake.warehouse)
        try:
            with db.transaction(conn):
                _insert_games(conn, 500)
        finally:
            conn.close()
    finally:
        private.process.terminate()
        private.process.wait(timeout=30)
    try:
        result = _run_features(lake.env)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert result.returncode == EXIT_UPSTREAM_UNAVAILABLE, result.stderr[-2000:]
    summary = last_json_line(result.stdout)
    assert f"S3 endpoint {private.endpoint}" in summary["error"], summary["error"]
    output = result.stdout + result.stderr
    assert private.secret not in output and lake_servers.postgres.password not in output
    assert json.dumps(summary)  # the summary is one JSON line
