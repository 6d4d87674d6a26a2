"""Failures: no retry on bad input, retry on upstream outage, skip on 99, and the failure
alert callback (structured log record + Slack-compatible webhook). A busy warehouse: see
test_airflow_warehouse_lock.py."""

from __future__ import annotations

import datetime as dt
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from conftest import REPLAY_AS_OF, ROOT
from pytest_httpserver import HTTPServer

CONTEXT = {
    "params": {"profile": "replay"},
    "logical_date": dt.datetime(2025, 1, 20, tzinfo=dt.UTC),
}


def test_bad_input_fails_without_retry(dagbag, local_replay_env: Path) -> None:  # type: ignore[no-untyped-def]
    local_replay_env.write_text("not a duckdb file\n")
    task = dagbag.dags["data_collection"].get_task("collect_teams")
    with pytest.raises(AirflowFailException, match="not a valid DuckDB database file"):
        task.execute(CONTEXT)


def test_upstream_outage_is_retryable(  # type: ignore[no-untyped-def]
    dagbag, local_replay_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ESPN_BASE_URL", "http://127.0.0.1:9")  # discard port: refused
    monkeypatch.setenv("ESPN_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("ESPN_BACKOFF_INITIAL_S", "0.05")
    monkeypatch.setenv("ESPN_BACKOFF_MAX_S", "0.1")
    task = dagbag.dags["data_collection"].get_task("collect_teams")
    with pytest.raises(AirflowException, match="exit code 3") as info:
        task.execute(CONTEXT)
    assert not isinstance(info.value, AirflowFailException | AirflowSkipException)


def test_nothing_to_do_skips(  # type: ignore[no-untyped-def]
    dagbag, warehouse_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOPCAST_ENV", "replay")
    monkeypatch.setenv("HOOPCAST_RUNNER", "local")
    monkeypatch.setenv("HOOPCAST_DB", str(warehouse_db))
    monkeypatch.setenv("HOOPCAST_AS_OF", REPLAY_AS_OF)
    script = Path(sys.executable).parent / "hoopcast-features"
    built = subprocess.run(
        [str(script), "build", "--as-of", REPLAY_AS_OF], cwd=ROOT, capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr[-2000:]
    task = dagbag.dags["feature_engineering"].get_task("team_features")
    with pytest.raises(AirflowSkipException, match="nothing to do"):
        task.execute(CONTEXT)


def test_failure_alert_callback_fires_with_fields(  # type: ignore[no-untyped-def]
    dagbag,
    airflow_db: Path,
    local_replay_env: Path,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    local_replay_env.write_text("not a duckdb file\n")  # collect_teams fails with exit 2
    httpserver.expect_request("/alert", method="POST").respond_with_data("ok")
    monkeypatch.setenv("HOOPCAST_ALERT_WEBHOOK_URL", httpserver.url_for("/alert"))
    dag = dagbag.dags["data_collection"]
    with caplog.at_level(logging.ERROR, logger="hoopcast.alerts"):
        run = dag.test(logical_date=dt.datetime(2025, 1, 20, tzinfo=dt.UTC))
    assert run.state == "failed"
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert states["collect_teams"] == "failed"
    assert states["data_quality"] == "upstream_failed"
    posted = [json.loads(req.get_data()) for req, _ in httpserver.log]
    assert len(posted) == 1
    text = posted[0]["text"]
    assert "data_collection.collect_teams" in text and "try 1" in text
    assert "not a valid DuckDB database file" in text
    assert posted[0]["blocks"][0]["type"] == "section"
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "hoopcast.alerts"]
    assert records, "no structured alert record was logged"
    record = records[-1]
    assert record["dag_id"] == "data_collection" and record["task_id"] == "collect_teams"
    assert record["run_id"] == run.run_id and record["try_number"] == 1
    assert "AirflowFailException" in record["exception"]
    assert "log_url" in record
