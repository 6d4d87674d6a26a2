"""The shared DuckDB helper (hoopcast_common.db): migrations, transactions, errors, lock waits."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from hoopcast_common import db
from hoopcast_common.errors import BadInputError


def test_migrations_are_applied_once_and_rerun_safe(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    shipped = db.load_migrations()
    assert [m.version for m in shipped] == sorted(m.version for m in shipped)
    assert {1, 2} <= {m.version for m in shipped}
    conn = db.connect(path)
    try:
        assert set(db.applied_versions(conn)) == {m.version for m in shipped}
        assert db.apply_migrations(conn) == []  # nothing pending
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_schema || '.' || table_name FROM information_schema.tables"
            ).fetchall()
        }
        assert {"raw.responses", "core.games", "ops.watermarks", "ops.quality_checks"} <= tables
    finally:
        conn.close()
    again = db.connect(path)  # re-open: still one row per migration
    try:
        rows = again.execute("SELECT count(*), count(DISTINCT version) FROM ops.schema_migrations")
        assert rows.fetchone() == (len(shipped), len(shipped))
    finally:
        again.close()


def test_an_edited_applied_migration_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    db.connect(path).close()
    conn = duckdb.connect(str(path))
    # Same effect as editing 0002's file after it was applied: recorded and shipped sha differ.
    conn.execute("UPDATE ops.schema_migrations SET sha256 = 'edited' WHERE version = 2")
    conn.close()
    with pytest.raises(db.MigrationError, match=r"0002_ingestion_quality_checks\.sql changed"):
        db.connect(path)


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "w.duckdb")
    try:
        with pytest.raises(RuntimeError), db.transaction(conn):
            conn.execute(
                "INSERT INTO ops.watermarks (collector, watermark) VALUES ('x', DATE '2025-01-01')"
            )
            raise RuntimeError("boom")
        assert db.table_count(conn, "ops.watermarks") == 0
        with db.transaction(conn):
            conn.execute(
                "INSERT INTO ops.watermarks (collector, watermark) VALUES ('x', DATE '2025-01-01')"
            )
        assert db.table_count(conn, "ops.watermarks") == 1
    finally:
        conn.close()


def test_read_only_open_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "w.duckdb"
    with pytest.raises(BadInputError, match=r"HOOPCAST_DB=.*nope/w\.duckdb.*does not exist"):
        db.connect(missing, read_only=True)
    assert not missing.parent.exists()


def test_a_file_that_is_not_duckdb_is_a_clear_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.duckdb"
    junk.write_text("not a database")
    with pytest.raises(BadInputError, match=r"HOOPCAST_DB=.*junk\.duckdb"):
        db.connect(junk)


def test_a_writer_waits_for_another_process_to_release_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    db.connect(path).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
            " print('locked', flush=True); time.sleep(1.5); c.close()",
            str(path),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        t0 = time.perf_counter()
        conn = db.connect(path)  # lock conflict → retried with backoff until released
        waited = time.perf_counter() - t0
        assert db.table_count(conn, "core.games") == 0
        conn.close()
    finally:
        holder.wait(timeout=30)
    assert waited > 0.3
