"""Model artefact storage: sizes and retention of the folders under ``HOOPCAST_MODEL_DIR``.

Folders: ``<model_name>/<version>/`` per registered version and ``runs/<run_id>/`` per training
run (the run's parquet snapshots and fitted model). Nothing is deleted automatically;
``hoopcast-trainer prune`` applies the retention rule:

* registered versions: keep production, every candidate (challengers included) and the
  ``keep_archived`` most recent archived versions (``TRAINER_KEEP_ARCHIVED``); delete the
  artefact folders of older archived versions (their registry rows stay, with
  ``ml.stage_changes`` noting the prune);
* training runs: keep the folders of open runs (not yet registered); delete those of
  registered runs (``register`` copied the model) and of runs that failed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
from hoopcast_common.db import next_id, transaction
from hoopcast_ml import registry


def folder_size(path: Path) -> int:
    """Bytes of all files under ``path`` (0 when it does not exist)."""
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@dataclass(frozen=True)
class StoredFolder:
    """One artefact folder: ``kind`` (``version`` | ``run``), its ``name`` (version or run
    id), ``role`` (serving role, or the run's step), ``path`` relative to the model folder,
    ``bytes`` on disk and whether the retention rule ``keep``s it."""

    kind: str
    name: str
    role: str
    path: str
    bytes: int
    keep: bool

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly form."""
        return {
            "kind": self.kind,
            "name": self.name,
            "role": self.role,
            "path": self.path,
            "bytes": self.bytes,
            "keep": self.keep,
        }


def inventory(
    conn: duckdb.DuckDBPyConnection, model_dir: Path, model_name: str, keep_archived: int
) -> list[StoredFolder]:
    """Every artefact folder of ``model_name`` that exists on disk, with size and verdict."""
    out: list[StoredFolder] = []
    archived_seen = 0
    for entry in registry.list_models(conn, model_name):  # newest first
        keep = True
        if entry.stage == "archived":
            archived_seen += 1
            keep = archived_seen <= keep_archived
        folder = entry.folder(model_dir)
        if folder.exists():
            out.append(
                StoredFolder(
                    "version",
                    entry.version,
                    entry.serving_role,
                    entry.artefact_path,
                    folder_size(folder),
                    keep,
                )
            )
    rows = conn.execute(
        "SELECT run_id, step, status, work_dir FROM ml.training_runs WHERE model_name = ? "
        "ORDER BY created_at, run_id",
        [model_name],
    ).fetchall()
    for run_id, step, status, work_dir in rows:
        if not work_dir or not (model_dir / work_dir).exists():
            continue
        keep = step != "register" and status == "ok"
        out.append(
            StoredFolder(
                "run",
                str(run_id),
                str(step),
                str(work_dir),
                folder_size(model_dir / work_dir),
                keep,
            )
        )
    return out


def prune(
    conn: duckdb.DuckDBPyConnection, model_dir: Path, folders: list[StoredFolder]
) -> list[StoredFolder]:
    """Delete the folders of ``folders`` not kept; note pruned versions in
    ``ml.stage_changes``, one transaction per folder (ids from
    :func:`hoopcast_common.db.next_id`). Returns the deleted ones."""
    deleted: list[StoredFolder] = []
    for item in folders:
        if item.keep:
            continue
        shutil.rmtree(model_dir / item.path)
        deleted.append(item)
        if item.kind == "version":
            model_name = item.path.split("/")[0]
            with transaction(conn):
                conn.execute(
                    "INSERT INTO ml.stage_changes (change_id, model_name, version, from_stage,"
                    " to_stage, reason)"
                    " VALUES (?, ?, ?, 'archived', 'archived', 'artefacts pruned')",
                    [next_id(conn, "ml.stage_changes", "change_id"), model_name, item.name],
                )
    return deleted
