"""The read-only snapshot: readers see the writer's committed tables and views, and holding
the snapshot open never blocks the writer."""

from __future__ import annotations

from pathlib import Path

from hoopcast_common.db import connect
from hoopcast_common.snapshot import open_snapshot, publish_snapshot, snapshot_path


def test_snapshot_copies_tables_and_views_but_not_raw_and_never_blocks_the_writer(
    tmp_path: Path,
) -> None:
    db = tmp_path / "hoopcast.duckdb"
    writer = connect(db)
    writer.execute(
        "INSERT INTO core.teams (team_id, display_name) VALUES ('1', 'Xavier Musketeers')"
    )
    writer.execute(
        "INSERT INTO raw.responses (endpoint, request_key, url, status, fetched_at,"
        " last_fetched_at, body, sha256) VALUES ('teams', 'k', 'u', 200, now(), now(), '{}', 'x')"
    )
    writer.execute("CREATE VIEW core.team_names AS SELECT display_name FROM core.teams")
    assert (
        publish_snapshot(writer, db) == snapshot_path(db) == tmp_path / "hoopcast.snapshot.duckdb"
    )

    reader = open_snapshot(db)
    assert reader.execute("SELECT * FROM core.team_names").fetchall() == [("Xavier Musketeers",)]
    schemas = {r[0] for r in reader.execute("SELECT schema_name FROM duckdb_tables()").fetchall()}
    assert "core" in schemas and "raw" not in schemas

    # the reader keeps its snapshot open while the writer changes data and publishes again
    writer.execute("UPDATE core.teams SET display_name = 'Xavier' WHERE team_id = '1'")
    publish_snapshot(writer, db)
    assert reader.execute("SELECT * FROM core.team_names").fetchall() == [("Xavier Musketeers",)]
    reader.close()
    fresh = open_snapshot(db)
    assert fresh.execute("SELECT * FROM core.team_names").fetchall() == [("Xavier",)]
    fresh.close()
    writer.close()
