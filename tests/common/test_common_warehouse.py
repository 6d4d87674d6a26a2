"""The warehouse backends (hoopcast_common.warehouse, db.connect): the HOOPCAST_WAREHOUSE
setting, and the same writes and reads on a DuckDB file and a DuckLake (real PostgreSQL
catalog, real S3 server; ``--warehouse=ducklake`` runs the ``warehouse`` tests on a lake)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest
from hoopcast_common import db, forecasts, quality
from hoopcast_common.errors import ConfigError
from hoopcast_common.settings import Settings, load_settings
from hoopcast_common.snapshot import open_snapshot, publish_snapshot
from hoopcast_common.warehouse import Warehouse, extension_file, load_extension


def _settings(tmp_path: Path, env_file: str, environ: dict[str, str]) -> Settings:
    profile = tmp_path / "env" / "local"
    profile.mkdir(parents=True)
    (profile / "common.env").write_text(env_file)
    return load_settings("features", env_dir=tmp_path / "env", environ=environ)


def test_default_warehouse_is_the_hoopcast_db_file(tmp_path: Path) -> None:
    settings = _settings(tmp_path, "HOOPCAST_DB=/data/hoopcast.duckdb\n", {})
    assert settings.warehouse == Warehouse(kind="duckdb", path=Path("/data/hoopcast.duckdb"))
    explicit = _settings(tmp_path / "b", "HOOPCAST_WAREHOUSE=duckdb:///srv/w.duckdb\n", {})
    assert explicit.warehouse.path == Path("/srv/w.duckdb")
    assert not explicit.warehouse.is_lake


def test_lake_setting_reads_secrets_from_files_only(tmp_path: Path) -> None:
    secret = tmp_path / "pg-password"
    secret.write_text("s3cr3t-pg\n")
    env_file = (
        "HOOPCAST_WAREHOUSE=ducklake:postgres:dbname=lake host=pg.internal port=5433 user=hc\n"
        "HOOPCAST_LAKE_DATA_PATH=s3://hoopcast/lake/\n"
        "HOOPCAST_LAKE_S3_ENDPOINT=s3.internal:8333\n"
    )
    settings = _settings(tmp_path, env_file, {"HOOPCAST_LAKE_PG_PASSWORD_FILE": str(secret)})
    lake = settings.warehouse
    assert lake.is_lake
    assert lake.pg_password == "s3cr3t-pg"
    assert lake.catalog_endpoint == "pg.internal:5433/lake"
    assert "s3cr3t" not in repr(lake) and "s3cr3t" not in lake.describe()
    # a secret written into an env file is refused, naming the setting, not the value
    leaked = _settings(tmp_path / "b", env_file + "HOOPCAST_LAKE_S3_SECRET=abcdef123\n", {})
    with pytest.raises(ConfigError, match="HOOPCAST_LAKE_S3_SECRET") as info:
        _ = leaked.warehouse
    assert "abcdef123" not in str(info.value)
    # a password inside the connection string is refused too
    inline = _settings(
        tmp_path / "c",
        env_file.replace("user=hc", "user=hc password=abc"),
        {},
    )
    with pytest.raises(ConfigError, match="HOOPCAST_LAKE_PG_PASSWORD"):
        _ = inline.warehouse
    no_data = _settings(tmp_path / "d", env_file.replace("HOOPCAST_LAKE_DATA_PATH", "X"), {})
    with pytest.raises(ConfigError, match="HOOPCAST_LAKE_DATA_PATH"):
        _ = no_data.warehouse


def test_lake_ddl_strips_what_ducklake_lacks() -> None:
    sql = (
        "CREATE SEQUENCE IF NOT EXISTS raw.s;\n"
        "CREATE TABLE t (id BIGINT PRIMARY KEY DEFAULT nextval('raw.s'), -- the id\n"
        "  p DOUBLE NOT NULL CHECK (p >= 0 AND (p <= 1)), k VARCHAR UNIQUE,\n"
        "  UNIQUE (p, k), PRIMARY KEY (id, k));"
    )
    assert " ".join(db.lake_ddl(sql).split()) == (
        "CREATE TABLE t (id BIGINT, p DOUBLE NOT NULL, k VARCHAR);"
    )


@pytest.mark.warehouse
def test_migrations_upserts_and_reads_on_the_warehouse(
    warehouse: tuple[Warehouse, dict[str, str]],
) -> None:
    target, _env = warehouse
    conn = db.connect(target)
    try:
        shipped = {m.version for m in db.load_migrations()}
        assert set(db.applied_versions(conn)) == shipped
        assert db.apply_migrations(conn) == []
        # the same upsert twice, then a changed row: one row per key, last values win
        for watermark in ("2025-01-01", "2025-01-01", "2025-01-05"):
            with db.transaction(conn):
                db.merge_rows(
                    conn,
                    "ops.watermarks",
                    "SELECT 'scoreboard' AS collector, ?::DATE AS watermark, now() AS updated_at",
                    ("collector",),
                    ("collector", "watermark", "updated_at"),
                    params=[watermark],
                )
        assert conn.execute("SELECT collector, watermark FROM ops.watermarks").fetchall() == [
            ("scoreboard", dt.date(2025, 1, 5))
        ]
        check = quality.Check(
            name="scores_known",
            severity=quality.BLOCKING,
            description="final game without a score",
            sql="SELECT 1",
            target="core.games",
        )
        for failing in (3, 0):  # a re-run of the same check under the same run replaces it
            result = quality.CheckResult(check, failing, None, ())
            quality.store_results(conn, run_id="r1", stage="s", as_of=None, results=[result])
        rows = conn.execute(
            "SELECT count(*), max(failing_rows) FROM ops.quality_checks WHERE run_id = 'r1'"
        ).fetchall()
        assert rows == [(1, 0)]
        with db.transaction(conn):
            conn.execute(
                "INSERT INTO ops.stage_runs (run_id, stage, command, profile, started_at,"
                " finished_at, status) VALUES ('r1', 'features', 'build', 'local',"
                " '2025-01-20 12:00:00+00', '2025-01-20 12:01:00+00', 'success')"
            )
        published = publish_snapshot(conn, target)
    finally:
        conn.close()
    assert (published is None) == target.is_lake  # a lake needs no snapshot
    reader = open_snapshot(target)
    try:
        fresh = forecasts.freshness(reader)
    finally:
        reader.close()
    assert [(r["stage"], r["command"]) for r in fresh] == [("features", "build")]


def test_lake_extensions_load_from_their_wheels_offline() -> None:
    """The three extensions a lake needs are files inside the installed PyPI wheels, built for
    this duckdb version, and load with DuckDB's own autoinstall switched off."""
    conn = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    try:
        for name in ("ducklake", "postgres_scanner", "httpfs"):
            path = extension_file(name)
            assert path is not None and path.is_file(), name
            assert f"v{duckdb.__version__}" in path.parts
            load_extension(conn, name)
        loaded = {
            str(r[0])
            for r in conn.execute(
                "SELECT extension_name FROM duckdb_extensions() WHERE loaded"
            ).fetchall()
        }
    finally:
        conn.close()
    assert {"ducklake", "postgres_scanner", "httpfs"} <= loaded
