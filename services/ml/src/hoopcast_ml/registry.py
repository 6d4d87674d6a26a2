"""The model registry: ``ml.model_registry`` rows plus artefact folders in HOOPCAST_MODEL_DIR.

Stages: ``candidate`` (registered, not serving), ``production`` (at most one per model name;
serves daily predictions) and ``archived`` (retired). A candidate flagged ``is_challenger`` is
an *active challenger*: the predictor scores it beside production every day. Every stage
change is appended to ``ml.stage_changes`` (reason included), which :func:`rollback` reads.

The predictor imports this module to find and load the models it serves.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from hoopcast_common.db import one
from hoopcast_common.errors import BadInputError
from hoopcast_common.settings import Settings

from hoopcast_ml import model as model_io
from hoopcast_ml import row_mapping


def model_dir(settings: Settings) -> Path:
    """Folder of model artefacts: ``HOOPCAST_MODEL_DIR``, else ``models`` beside the DuckDB file.

    So ``var/models`` locally and ``/data/models`` in the containers. Registry rows store
    artefact paths relative to this folder.
    """
    raw = settings.get("HOOPCAST_MODEL_DIR")
    if raw:
        path = Path(raw)
        return path if path.is_absolute() else Path.cwd() / path
    return settings.db_path.parent / "models"


STAGES = ("candidate", "production", "archived")


@dataclass(frozen=True)
class RegistryEntry:
    """One ``ml.model_registry`` row (metrics and feature list decoded from JSON)."""

    model_name: str
    version: str
    version_number: int
    stage: str
    is_challenger: bool
    run_id: str | None
    artefact_path: str
    train_from: dt.date | None
    train_until: dt.date
    validate_from: dt.date
    validate_to: dt.date
    feature_list: list[str]
    data_hash: str
    metrics: dict[str, Any]
    created_at: dt.datetime
    stage_changed_at: dt.datetime

    @property
    def serving_role(self) -> str:
        """``production``, ``challenger`` (active challenger) or the stage otherwise."""
        if self.stage == "candidate" and self.is_challenger:
            return "challenger"
        return self.stage

    def folder(self, model_dir: Path) -> Path:
        """Absolute artefact folder under ``model_dir``."""
        return model_dir / self.artefact_path

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly summary (headline metrics only)."""
        model_metrics = self.metrics.get("model", {}) if self.metrics else {}
        return {
            "model_name": self.model_name,
            "version": self.version,
            "stage": self.stage,
            "is_challenger": self.is_challenger,
            "train_until": self.train_until.isoformat(),
            "validate": f"{self.validate_from}..{self.validate_to}",
            "log_loss": model_metrics.get("log_loss"),
            "accuracy": model_metrics.get("accuracy"),
            "margin_mae": model_metrics.get("margin_mae"),
            "artefact_path": self.artefact_path,
        }


_entry = row_mapping.RowMapping(
    RegistryEntry,
    {
        "version_number": int,
        "is_challenger": bool,
        "feature_list": row_mapping.json_list,
        "metrics": row_mapping.json_object,
    },
)
"""``ml.model_registry`` rows as :class:`RegistryEntry` (its fields are the selected columns)."""
_COLUMNS = _entry.columns


def list_models(
    conn: duckdb.DuckDBPyConnection, model_name: str | None = None
) -> list[RegistryEntry]:
    """Registered versions, newest first (all model names when ``model_name`` is None)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM ml.model_registry "
        "WHERE CAST(? AS VARCHAR) IS NULL OR model_name = ? "
        "ORDER BY model_name, version_number DESC",
        [model_name, model_name],
    ).fetchall()
    return [_entry(r) for r in rows]


def get(conn: duckdb.DuckDBPyConnection, model_name: str, version: str) -> RegistryEntry:
    """The registered ``version`` of ``model_name``.

    Raises:
        BadInputError: no such version (names it and lists the known ones).
    """
    row = one(
        conn,
        f"SELECT {_COLUMNS} FROM ml.model_registry WHERE model_name = ? AND version = ?",
        [model_name, version],
    )
    if row is None:
        known = [e.version for e in list_models(conn, model_name)]
        raise BadInputError(
            f"model version {version!r} of {model_name!r} is not registered (known: {known})"
        )
    return _entry(row)


def production(conn: duckdb.DuckDBPyConnection, model_name: str) -> RegistryEntry | None:
    """The production version of ``model_name``, or None."""
    row = one(
        conn,
        f"SELECT {_COLUMNS} FROM ml.model_registry WHERE model_name = ? AND stage = 'production'",
        [model_name],
    )
    return _entry(row) if row else None


def active_models(
    conn: duckdb.DuckDBPyConnection, model_name: str | None = None
) -> list[RegistryEntry]:
    """Models that get daily predictions: production first, then active challengers.

    ``model_name`` None = every registered model name.
    """
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM ml.model_registry WHERE "
        "(CAST(? AS VARCHAR) IS NULL OR model_name = ?) AND "
        "(stage = 'production' OR (stage = 'candidate' AND is_challenger)) "
        "ORDER BY model_name, stage = 'production' DESC, version_number DESC",
        [model_name, model_name],
    ).fetchall()
    return [_entry(r) for r in rows]


def next_version(conn: duckdb.DuckDBPyConnection, model_name: str) -> tuple[str, int]:
    """The next version label and number of ``model_name`` (``v1``, ``v2``, ...)."""
    row = one(
        conn,
        "SELECT coalesce(max(version_number), 0) + 1 FROM ml.model_registry WHERE model_name = ?",
        [model_name],
    )
    number = int(row[0]) if row else 1
    return f"v{number}", number


def _record_change(
    conn: duckdb.DuckDBPyConnection,
    entry_name: str,
    version: str,
    from_stage: str | None,
    to_stage: str,
    reason: str,
) -> None:
    conn.execute(
        "INSERT INTO ml.stage_changes (model_name, version, from_stage, to_stage, reason) "
        "VALUES (?, ?, ?, ?, ?)",
        [entry_name, version, from_stage, to_stage, reason],
    )


def insert(
    conn: duckdb.DuckDBPyConnection,
    *,
    model_name: str,
    version: str,
    version_number: int,
    run_id: str | None,
    artefact_path: str,
    train_from: dt.date | None,
    train_until: dt.date,
    validate_from: dt.date,
    validate_to: dt.date,
    feature_list: list[str],
    data_hash: str,
    metrics: dict[str, Any],
) -> None:
    """Insert a new ``candidate`` row (call inside a transaction)."""
    conn.execute(
        "INSERT INTO ml.model_registry (model_name, version, version_number, stage, run_id, "
        "artefact_path, train_from, train_until, validate_from, validate_to, feature_list, "
        "data_hash, metrics) VALUES (?, ?, ?, 'candidate', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            model_name,
            version,
            version_number,
            run_id,
            artefact_path,
            train_from,
            train_until,
            validate_from,
            validate_to,
            json.dumps(feature_list),
            data_hash,
            json.dumps(metrics, default=str),
        ],
    )
    _record_change(conn, model_name, version, None, "candidate", "registered")


def set_stage(
    conn: duckdb.DuckDBPyConnection, model_name: str, version: str, stage: str, reason: str
) -> None:
    """Move a version to ``stage`` and log the change (call inside a transaction).

    Raises:
        BadInputError: unknown stage or version.
    """
    if stage not in STAGES:
        raise BadInputError(f"stage {stage!r} is not one of {STAGES}")
    current = get(conn, model_name, version)
    if current.stage == stage:
        return
    conn.execute(
        "UPDATE ml.model_registry SET stage = ?, stage_changed_at = current_timestamp, "
        "is_challenger = CASE WHEN ? = 'candidate' THEN is_challenger ELSE FALSE END "
        "WHERE model_name = ? AND version = ?",
        [stage, stage, model_name, version],
    )
    _record_change(conn, model_name, version, current.stage, stage, reason)


def promote(conn: duckdb.DuckDBPyConnection, model_name: str, version: str, reason: str) -> None:
    """Make ``version`` production, archiving the current production version.

    Call inside a transaction. Raises BadInputError for an unknown version.
    """
    target = get(conn, model_name, version)
    current = production(conn, model_name)
    if current is not None and current.version == target.version:
        return
    if current is not None:
        set_stage(conn, model_name, current.version, "archived", f"replaced by {version}: {reason}")
    set_stage(conn, model_name, version, "production", reason)


def rollback(conn: duckdb.DuckDBPyConnection, model_name: str) -> tuple[str | None, str]:
    """Restore the previous production model of ``model_name``.

    The previous production model is the most recent version, other than the current one,
    that was ever moved to production, was not itself retired by a rollback and still has its
    artefacts (not pruned by ``hoopcast-trainer prune``). The current
    production version is archived. Call inside a transaction.

    Returns:
        ``(demoted version or None, restored version)``.

    Raises:
        BadInputError: there is no earlier production model to restore.
    """
    current = production(conn, model_name)
    rows = conn.execute(
        "SELECT version FROM ml.stage_changes WHERE model_name = ? AND to_stage = 'production' "
        "ORDER BY change_id DESC",
        [model_name],
    ).fetchall()
    rolled_back = {
        str(r[0])
        for r in conn.execute(
            "SELECT version FROM ml.stage_changes WHERE model_name = ? AND to_stage = 'archived'"
            " AND (reason LIKE 'rollback%' OR reason = 'artefacts pruned')",
            [model_name],
        ).fetchall()
    }
    for (version,) in rows:
        if current is not None and version == current.version:
            continue
        if version in rolled_back:
            continue
        if current is not None:
            set_stage(conn, model_name, current.version, "archived", f"rollback to {version}")
        set_stage(conn, model_name, version, "production", "restored by rollback")
        return (current.version if current else None, str(version))
    raise BadInputError(f"model {model_name!r} has no earlier production version to roll back to")


def set_challenger(
    conn: duckdb.DuckDBPyConnection, model_name: str, version: str, active: bool
) -> None:
    """Mark (or unmark) a candidate as an active challenger.

    Raises:
        BadInputError: the version is not a candidate.
    """
    entry = get(conn, model_name, version)
    if entry.stage != "candidate":
        raise BadInputError(
            f"model {model_name} {version} is {entry.stage}; only a candidate can be a challenger"
        )
    conn.execute(
        "UPDATE ml.model_registry SET is_challenger = ? WHERE model_name = ? AND version = ?",
        [active, model_name, version],
    )
    _record_change(
        conn,
        model_name,
        version,
        "candidate",
        "candidate",
        "challenger on" if active else "challenger off",
    )


def load_model(model_dir: Path, entry: RegistryEntry) -> model_io.GameModel:
    """Load and verify the artefacts of a registry entry.

    Raises:
        BadInputError: a missing or corrupt artefact (names the file).
    """
    return model_io.load(entry.folder(model_dir))
