"""``make backup`` / ``make restore`` round trips (scripts/data-backup, scripts/backup.py).

A real DuckDB warehouse (every migration applied, plus rows) with model artefacts and a report
is backed up to a tarball and restored elsewhere: every table's row count, the rows themselves
and the files come back equal. The Docker-volume variant does the same on a throwaway volume
through the predictor image (skipped without an engine or the image).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tarfile
import uuid
from pathlib import Path

import duckdb
import pytest
from hoopcast_common.db import connect
from support.queries import query

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "data-backup"
GAMES = 1234  # rows of the hand-made table; the migrations' own rows come on top


def make_warehouse(folder: Path) -> Path:
    """``folder/hoopcast.duckdb`` (migrated, with a 1,234-row table), models/ and reports/."""
    db = folder / "hoopcast.duckdb"
    conn = connect(db)
    conn.execute(
        "CREATE TABLE ops.backup_probe AS SELECT range AS id, 'game ' || range AS name, "
        "range / 7.0 AS margin FROM range(1234)"
    )
    conn.close()
    (folder / "models" / "game_lgbm" / "1").mkdir(parents=True)
    (folder / "models" / "game_lgbm" / "1" / "win.txt").write_text("tree\n" * 100)
    (folder / "reports" / "2026-02-07").mkdir(parents=True)
    (folder / "reports" / "2026-02-07" / "summary.txt").write_text("accuracy 0.72\n")
    return db


def counts(db: Path) -> dict[str, int]:
    """Row count of every table of ``db``."""
    tables = query(db, "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary")
    counted = " UNION ALL ".join(
        f'SELECT \'{s}.{t}\', count(*) FROM "{s}"."{t}"' for s, t in tables
    )
    return dict(query(db, counted)) if tables else {}


def data_backup(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run scripts/data-backup with ``env`` over this process's environment."""
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_local_round_trip_restores_every_row_and_file(tmp_path: Path) -> None:
    source = make_warehouse(tmp_path / "live")
    before = counts(source)
    assert before["ops.backup_probe"] == GAMES and len(before) > 5  # the migrated tables too
    env = {
        "HOOPCAST_BACKUP_TARGET": "local",
        "HOOPCAST_BACKUP_DIR": str(tmp_path / "backups"),
        "HOOPCAST_DB": str(source),
    }
    made = data_backup("backup", env=env)
    assert made.returncode == 0, made.stderr
    tarball = Path(made.stdout.strip().splitlines()[-1])
    assert tarball.parent == tmp_path / "backups" and tarball.name.startswith("hoopcast-backup-")
    assert stat.S_IMODE(tarball.stat().st_mode) == 0o600
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert any(n.endswith("warehouse/schema.sql") for n in names)
    assert any(n.endswith(".parquet") for n in names)

    restored = tmp_path / "restored" / "hoopcast.duckdb"
    env["HOOPCAST_DB"] = str(restored)
    back = data_backup("restore", str(tarball), env=env)
    assert back.returncode == 0, back.stderr
    assert counts(restored) == before
    conn = duckdb.connect(str(restored), read_only=True)
    assert conn.execute("SELECT sum(id), max(name) FROM ops.backup_probe").fetchone() == (
        1234 * 1233 // 2,
        "game 999",
    )
    conn.close()
    win = restored.parent / "models" / "game_lgbm" / "1" / "win.txt"
    assert win.read_text() == "tree\n" * 100
    assert (restored.parent / "reports" / "2026-02-07" / "summary.txt").read_text() == (
        "accuracy 0.72\n"
    )

    # An existing warehouse is never overwritten silently: refused, or kept aside with --force.
    again = data_backup("restore", str(tarball), env=env)
    assert again.returncode == 2 and "--force" in again.stderr
    forced = data_backup("restore", str(tarball), "--force", env=env)
    assert forced.returncode == 0, forced.stderr
    assert len(list(restored.parent.glob("hoopcast.duckdb.pre-restore-*"))) == 1


def test_restore_rejects_a_tarball_that_is_not_a_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "hoopcast-backup-bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        note = tmp_path / "note.txt"
        note.write_text("hello\n")
        tar.add(note, arcname="x/note.txt")
    env = {"HOOPCAST_BACKUP_TARGET": "local", "HOOPCAST_DB": str(tmp_path / "w.duckdb")}
    out = data_backup("restore", str(bogus), env=env)
    assert out.returncode == 2 and "not a hoopcast backup" in out.stderr
    assert not (tmp_path / "w.duckdb").exists()


def docker_problem() -> str | None:
    """Why the volume variant cannot run here (None when it can)."""
    if shutil.which("docker") is None:
        return "docker CLI not installed"
    if subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode != 0:
        return "no reachable Docker engine"
    image = subprocess.run(
        ["docker", "image", "inspect", "hoopcast/predictor:latest"], capture_output=True
    )
    return "image hoopcast/predictor not built" if image.returncode else None


@pytest.mark.docker
def test_volume_round_trip(tmp_path: Path) -> None:
    problem = docker_problem()
    if problem:
        pytest.skip(problem)
    volume = f"hoopcast-test-backup-{uuid.uuid4().hex[:8]}"
    probe = (
        "import duckdb, json, pathlib; c = duckdb.connect('/data/hoopcast.duckdb'); "
        "{sql}; print(json.dumps(c.execute('SELECT count(*), sum(id) FROM t').fetchone()))"
    )

    def in_volume(code: str) -> list[int]:
        out = subprocess.run(
            ["docker", "run", "--rm", "--network", "none", "-v", f"{volume}:/data",
             "--entrypoint", "python", "hoopcast/predictor:latest", "-c", code],
            capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
        return list(json.loads(out.stdout.strip().splitlines()[-1]))

    subprocess.run(["docker", "volume", "create", volume], capture_output=True, check=True)
    try:
        made_rows = in_volume(
            probe.format(sql="c.execute('CREATE TABLE t AS SELECT range AS id FROM range(500)'); "
                         "pathlib.Path('/data/models').mkdir(); "
                         "pathlib.Path('/data/models/m.txt').write_text('m')")
        )  # fmt: skip
        assert made_rows == [500, 124750]
        env = {
            "HOOPCAST_BACKUP_TARGET": "volume",
            "HOOPCAST_DATA_VOLUME": volume,
            "HOOPCAST_BACKUP_DIR": str(tmp_path / "backups"),
        }
        made = data_backup("backup", env=env)
        assert made.returncode == 0, made.stderr
        tarball = Path(made.stdout.strip().splitlines()[-1])
        assert tarball.is_file() and tarball.stat().st_uid == os.getuid()
        # lose data, then restore it
        assert in_volume(probe.format(sql="c.execute('DELETE FROM t WHERE id >= 100')")) == [
            100,
            4950,
        ]
        back = data_backup("restore", str(tarball), "--force", env=env)
        assert back.returncode == 0, back.stderr
        assert in_volume(probe.format(sql="pass")) == [500, 124750]
        owners = subprocess.run(
            ["docker", "run", "--rm", "-v", f"{volume}:/data", "--entrypoint", "stat",
             "hoopcast/predictor:latest", "-c", "%u:%g %n", "/data/hoopcast.duckdb",
             "/data/models/m.txt"],
            capture_output=True, text=True, check=True,
        ).stdout.split("\n")  # fmt: skip
        assert all(line.startswith("50000:0 ") for line in owners if line), owners
    finally:
        subprocess.run(["docker", "volume", "rm", "-f", volume], capture_output=True)
