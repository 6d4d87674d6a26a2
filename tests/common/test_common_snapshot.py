"""The read-only snapshot: readers see the writer's committed tables and views, and holding
the snapshot open never blocks the writer."""

from __future__ import annotations

from pathlib import Path

from hoopcast_common.db import connect
from hoopcast_common.snapshot import open_snapshot, publish_snapshot, snapshot_path


def test_snapshot_holds_the_committed_tables_and_views_and_never_blocks_the_writer(
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
    assert reader.execute("SELECT endpoint, body FROM raw.responses").fetchall() == [
        ("teams", "{}")
    ]
    # the temporary copy was renamed over the snapshot: none is left behind
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    # the reader keeps its snapshot open while the writer changes data and publishes again;
    # a change the writer has not committed yet is not published
    writer.execute("UPDATE core.teams SET display_name = 'Xavier' WHERE team_id = '1'")
    other = writer.cursor()
    other.execute("BEGIN")
    other.execute("INSERT INTO core.teams (team_id, display_name) VALUES ('2', 'Open')")
    publish_snapshot(writer, db)
    other.execute("ROLLBACK")
    assert reader.execute("SELECT * FROM core.team_names").fetchall() == [("Xavier Musketeers",)]
    reader.close()
    fresh = open_snapshot(db)
    assert fresh.execute("SELECT * FROM core.team_names").fetchall() == [("Xavier",)]
    # the writer's own file is untouched by the readers
    assert writer.execute("SELECT count(*) FROM core.teams").fetchall() == [(1,)]
    fresh.close()
    writer.close()
