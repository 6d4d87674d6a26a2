"""``hoopcast-ingestion storage [--prune]`` on a real DuckDB file: sizes per table and raw
endpoint, and the retention rule (only superseded, cleanly normalized bodies older than
HOOPCAST_RAW_RETENTION_DAYS lose their body; the row stays)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from ingestion_cli import DATA, query, run_cli
from pytest_httpserver import HTTPServer

PREFIX = "/apis/site/v2/sports/basketball/mens-college-basketball"
DEC1 = ("games", "--from", "2024-12-01", "--to", "2024-12-01", "--as-of", "2025-01-20")


def test_storage_reports_sizes_and_prunes_only_superseded_clean_bodies(
    httpserver: HTTPServer, tmp_path: Path
) -> None:
    final = json.loads((DATA / "scoreboard/scoreboard_20241201_sdvpy_fixture.json").read_text())
    scheduled = copy.deepcopy(final)
    status = scheduled["events"][0]["competitions"][0]["status"]
    status["type"] = {"id": "1", "name": "STATUS_SCHEDULED", "state": "pre", "completed": False}
    drifted = copy.deepcopy(final)
    drifted["events"][0]["competitions"][0]["status"]["type"]["name"] = "STATUS_ABANDONED"
    # The same scoreboard date answered three times: scheduled (clean), drifted (parse
    # error), final (clean, the latest).
    for doc in (scheduled, drifted, final):
        httpserver.expect_ordered_request(f"{PREFIX}/scoreboard").respond_with_data(
            json.dumps(doc), content_type="application/json"
        )
    base = httpserver.url_for("/").rstrip("/")
    db = tmp_path / "w.duckdb"
    for _ in range(3):
        run = run_cli(*DEC1, db=db, base_url=base)
        assert run.code == 0, run.stderr[-2000:]
    bodies = query(
        db,
        "SELECT response_id, parse_error IS NULL, strlen(body) FROM raw.responses"
        " ORDER BY response_id",
    )
    assert [b[1] for b in bodies] == [True, False, True]
    scheduled_bytes = bodies[0][2]

    # Default retention (730 days): nothing fetched since 2025-01-01 may go on 2027-01-01.
    report = run_cli("storage", "--as-of", "2027-01-01", db=db, base_url=base)
    assert report.code == 0, report.stderr[-2000:]
    raw = report.summary["raw_by_endpoint"]
    assert raw == {
        "scoreboard": {
            "responses": 3,
            "bodies": 3,
            "body_bytes": sum(b[2] for b in bodies),
            "prunable": 0,
            "prunable_bytes": 0,
        }
    }
    tables = report.summary["tables"]
    assert tables["core.games"]["rows"] == 1 and tables["raw.responses"]["rows"] == 3
    assert tables["core.betting_lines"]["rows"] == 0
    assert tables["raw.responses"]["bytes"] > 0
    assert report.summary["file"]["bytes"] >= tables["raw.responses"]["bytes"]
    assert report.summary["counts"].get("bodies_pruned") is None  # reporting never prunes
    assert query(db, "SELECT count(body) FROM raw.responses") == [(3,)]

    pruned = run_cli(
        "storage", "--prune", "--as-of", "2030-01-01", db=db, base_url=base,
        HOOPCAST_RAW_RETENTION_DAYS="30",
    )  # fmt: skip
    assert pruned.code == 0, pruned.stderr[-2000:]
    assert pruned.summary["counts"]["bodies_pruned"] == 1
    assert pruned.summary["counts"]["bytes_pruned"] == scheduled_bytes
    # Only the superseded clean body is gone; the body that failed to normalize and the
    # latest body stay, and every row (url, sha256, fetched_at) stays.
    assert query(
        db, "SELECT body IS NULL, sha256 IS NOT NULL FROM raw.responses ORDER BY response_id"
    ) == [(True, True), (False, True), (False, True)]
    assert query(db, "SELECT home_score, away_score FROM core.games") == [(71, 68)]

    again = run_cli(
        "storage", "--prune", "--as-of", "2030-01-01", db=db, base_url=base,
        HOOPCAST_RAW_RETENTION_DAYS="30",
    )  # fmt: skip
    assert again.summary["counts"]["bodies_pruned"] == 0

    bad = run_cli(
        "storage", "--as-of", "2030-01-01", db=db, base_url=base,
        HOOPCAST_RAW_RETENTION_DAYS="-1",
    )  # fmt: skip
    assert bad.code == 2 and "HOOPCAST_RAW_RETENTION_DAYS" in bad.summary["error"]
