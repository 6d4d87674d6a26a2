"""Back up and restore a hoopcast deployment's data: the warehouse, model artefacts, reports.

    python scripts/backup.py backup  --db DB --out FOLDER [--owner UID:GID]
    python scripts/backup.py restore TARBALL --db DB [--force] [--owner UID:GID]

``backup`` writes ``FOLDER/hoopcast-backup-<UTC yyyymmddThhmmssZ>.tar.gz`` (mode 0600) with

* ``warehouse/``   the DuckDB file through ``EXPORT DATABASE … (FORMAT parquet)`` (schema.sql,
                   load.sql and one Parquet file per table: portable across DuckDB versions);
* ``models/``      the model artefacts (``HOOPCAST_MODEL_DIR``, default ``models`` beside DB);
* ``reports/``     the reports (``reports`` beside DB);
* ``manifest.json`` the row count of every table, the DuckDB version and the time,

and prints the tarball's path. The warehouse is opened read-only: a writer running at the same
time makes it wait (DuckDB's file lock), never corrupts it.

``restore`` imports the warehouse into a new file beside DB (``IMPORT DATABASE``), checks
every table's row count against the manifest, and only then moves it into place; models and
reports are copied back over their folders (files not in the backup are kept). An existing DB
is kept as ``DB.pre-restore-<time>`` with ``--force`` and refused without it, so nothing is
lost. ``--owner`` chowns what was written (backups made as root in a container for the host
user; restores for the containers' user 50000:0).

Exit codes: 0 done; 2 bad input (no such DB or tarball, a tarball that is not a hoopcast
backup, DB exists without --force, counts differ after import); 3 the DB stays locked by a
writer (retry once it is idle, e.g. after ``make down``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import duckdb

EXIT_OK, EXIT_BAD_INPUT, EXIT_BUSY = 0, 2, 3
PREFIX = "hoopcast-backup-"


class BackupError(Exception):
    """A problem with the inputs of a backup or restore (exit 2)."""


def log(message: str) -> None:
    """One progress line on stderr."""
    print(f"backup: {message}", file=sys.stderr, flush=True)


def data_folders(db: Path) -> dict[str, Path]:
    """Model and report folders of the warehouse ``db`` (``HOOPCAST_MODEL_DIR`` wins)."""
    models = os.environ.get("HOOPCAST_MODEL_DIR")
    return {
        "models": Path(models) if models else db.parent / "models",
        "reports": db.parent / "reports",
    }


def connect(db: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open ``db``, waiting up to ``HOOPCAST_BACKUP_WAIT_S`` (default 120 s) for a writer's lock.

    Raises:
        TimeoutError: the file stayed locked.
    """
    deadline = time.monotonic() + float(os.environ.get("HOOPCAST_BACKUP_WAIT_S", "120"))
    while True:
        try:
            return duckdb.connect(str(db), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise TimeoutError(f"{db} is locked by another process: {exc}") from exc
            time.sleep(2)


def table_counts(conn: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row count of every base table, keyed ``schema.table``."""
    tables = conn.execute(
        "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary "
        "ORDER BY schema_name, table_name"
    ).fetchall()
    counts: dict[str, int] = {}
    for schema, table in tables:
        row = conn.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()
        counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return counts


def chown_tree(path: Path, owner: str | None) -> None:
    """``chown -R owner path`` (``UID:GID``) when ``owner`` is given."""
    if not owner:
        return
    uid, _, gid = owner.partition(":")
    for item in [path, *(path.rglob("*") if path.is_dir() else [])]:
        os.chown(item, int(uid), int(gid or -1), follow_symlinks=False)


def backup(db: Path, out: Path, owner: str | None) -> Path:
    """Write the backup tarball of ``db`` and its folders into ``out``; returns its path.

    Raises:
        BackupError: ``db`` does not exist.
        TimeoutError: ``db`` stayed locked.
    """
    if not db.is_file():
        raise BackupError(f"warehouse {db} does not exist")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hoopcast-backup-") as tmp:
        staging = Path(tmp) / f"{PREFIX}{stamp}"
        staging.mkdir()
        conn = connect(db, read_only=True)
        try:
            counts = table_counts(conn)
            target = str(staging / "warehouse").replace("'", "''")
            conn.execute(f"EXPORT DATABASE '{target}' (FORMAT parquet)")
        finally:
            conn.close()
        for name, folder in data_folders(db).items():
            if folder.is_dir():
                shutil.copytree(folder, staging / name, symlinks=True)
        manifest = {
            "created_at": stamp,
            "duckdb_version": duckdb.__version__,
            "warehouse": db.name,
            "tables": counts,
            "rows": sum(counts.values()),
            "folders": sorted(p.name for p in staging.iterdir() if p.is_dir()),
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        tarball = out / f"{PREFIX}{stamp}.tar.gz"
        partial = tarball.with_suffix(".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
            tar.add(staging, arcname=staging.name)
        partial.rename(tarball)
    chown_tree(tarball, owner)
    log(f"{db}: {len(counts)} tables, {manifest['rows']} rows, folders {manifest['folders']}")
    return tarball


def safe_extract(tar: tarfile.TarFile, folder: Path) -> None:
    """Extract regular files and folders only, all inside ``folder`` (tarfile's ``data`` filter
    where this Python has it).

    Raises:
        BackupError: a member is absolute, leaves ``folder``, or is a link or device.
    """
    if hasattr(tarfile, "data_filter"):
        tar.extractall(folder, filter="data")
        return
    base = folder.resolve()
    for member in tar.getmembers():
        target = (folder / member.name).resolve()
        if not (member.isfile() or member.isdir()) or not target.is_relative_to(base):
            raise BackupError(f"unsafe member {member.name!r} in the backup")
    tar.extractall(folder)


def restore(tarball: Path, db: Path, force: bool, owner: str | None) -> dict[str, int]:
    """Restore ``tarball`` into ``db`` and its folders; returns the restored table counts.

    Raises:
        BackupError: no such tarball, not a hoopcast backup, ``db`` exists without ``force``,
            or the imported counts differ from the manifest (``db`` is then left untouched).
    """
    if not tarball.is_file():
        raise BackupError(f"backup {tarball} does not exist")
    if db.exists() and not force:
        raise BackupError(f"warehouse {db} exists: restore with --force (it is kept aside)")
    with tempfile.TemporaryDirectory(prefix="hoopcast-restore-") as tmp:
        with tarfile.open(tarball, "r:gz") as tar:
            safe_extract(tar, Path(tmp))
        roots = [p for p in Path(tmp).iterdir() if (p / "manifest.json").is_file()]
        if len(roots) != 1 or not (roots[0] / "warehouse" / "schema.sql").is_file():
            raise BackupError(f"{tarball} is not a hoopcast backup (no manifest.json/warehouse)")
        root = roots[0]
        manifest = json.loads((root / "manifest.json").read_text())
        db.parent.mkdir(parents=True, exist_ok=True)
        fresh = db.with_name(f".{db.name}.restoring")
        fresh.unlink(missing_ok=True)
        conn = duckdb.connect(str(fresh))
        try:
            source = str(root / "warehouse").replace("'", "''")
            conn.execute(f"IMPORT DATABASE '{source}'")
            counts = table_counts(conn)
        finally:
            conn.close()
        if counts != manifest["tables"]:
            fresh.unlink(missing_ok=True)
            diff = {
                t: (manifest["tables"].get(t), counts.get(t))
                for t in set(counts) | set(manifest["tables"])
                if counts.get(t) != manifest["tables"].get(t)
            }
            raise BackupError(f"restored row counts differ from the manifest: {diff}")
        if db.exists():
            now = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
            kept = db.with_name(f"{db.name}.pre-restore-{now}")
            connect(db, read_only=False).close()  # waits for a writer; fails if one stays
            db.rename(kept)
            log(f"the previous warehouse is kept as {kept}")
        fresh.rename(db)
        chown_tree(db, owner)
        for name, folder in data_folders(db).items():
            if (root / name).is_dir():
                shutil.copytree(root / name, folder, symlinks=True, dirs_exist_ok=True)
                chown_tree(folder, owner)
    log(f"{db}: {len(counts)} tables, {sum(counts.values())} rows restored from {tarball.name}")
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit code (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("backup", help="write a dated backup tarball")
    make.add_argument("--db", type=Path, required=True, help="the DuckDB warehouse file")
    make.add_argument("--out", type=Path, required=True, help="folder of the tarball")
    make.add_argument("--owner", help="UID:GID to own the tarball")
    back = sub.add_parser("restore", help="restore a backup tarball")
    back.add_argument("tarball", type=Path)
    back.add_argument("--db", type=Path, required=True, help="the DuckDB warehouse file")
    back.add_argument("--force", action="store_true", help="replace an existing warehouse")
    back.add_argument("--owner", help="UID:GID to own the restored files")
    args = parser.parse_args(argv)
    try:
        if args.command == "backup":
            print(backup(args.db, args.out, args.owner))
        else:
            restore(args.tarball, args.db, args.force, args.owner)
    except BackupError as exc:
        log(f"error: {exc}")
        return EXIT_BAD_INPUT
    except (TimeoutError, tarfile.TarError) as exc:
        log(f"error: {exc}")
        return EXIT_BAD_INPUT if isinstance(exc, tarfile.TarError) else EXIT_BUSY
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
