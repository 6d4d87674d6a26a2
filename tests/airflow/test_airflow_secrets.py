"""Secrets stay where they belong: the alert webhook URL never reaches a log line, and a
local-mode stage process never sees Airflow's keys, metadata database URL or the webhook."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from pathlib import Path

import pytest
from hoopcast_airflow.callbacks import alert_on_failure
from pytest_httpserver import HTTPServer

#: A Slack-like webhook whose path is the secret.
SECRET_PATH = "/services/T000SECRET/B000SECRET/xoxSecretToken42"

#: Airflow process settings a stage process must never see (values are the secrets).
AIRFLOW_SECRETS = {
    "AIRFLOW__CORE__FERNET_KEY": "fernet-secret-7f3a",
    "AIRFLOW__API_AUTH__JWT_SECRET": "jwt-secret-91bc",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://airflow:pg-secret-55e1@db/airflow",
    "HOOPCAST_ALERT_WEBHOOK_URL": "http://127.0.0.1:9/services/webhook-secret-0d2e",
}


class _Ti:
    dag_id, task_id, run_id, try_number, max_tries = "d", "t", "r", 1, 3
    log_url = "http://localhost:8080/log"


def _alert_logs(caplog: pytest.LogCaptureFixture) -> str:
    context = {
        "ti": _Ti(),
        "exception": RuntimeError("boom"),
        "logical_date": dt.datetime(2026, 2, 7),
    }
    # httpx logs every request's URL at INFO: on, to prove those lines are redacted too
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.DEBUG, logger="httpx"):
        record = alert_on_failure(context)
    # every record of the product (the test's own HTTP server, werkzeug, logs its paths)
    lines = [r.getMessage() for r in caplog.records if r.name != "werkzeug"]
    return "\n".join(lines) + "\n" + json.dumps(record)


@pytest.mark.parametrize("answer", [200, 500, 404])
def test_webhook_url_never_logged_when_the_webhook_fails(
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    answer: int,
) -> None:
    httpserver.expect_request(SECRET_PATH, method="POST").respond_with_data("no", status=answer)
    url = httpserver.url_for(SECRET_PATH)
    monkeypatch.setenv("HOOPCAST_ALERT_WEBHOOK_URL", url)
    text = _alert_logs(caplog)
    assert len(httpserver.log) == 1  # the alert was posted
    assert f"{answer}" in text  # the outcome is still reported...
    assert "xoxSecretToken42" not in text and "T000SECRET" not in text  # ...without the secret
    assert "/<redacted>" in text


def test_webhook_url_never_logged_when_unreachable(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("HOOPCAST_ALERT_WEBHOOK_URL", f"http://127.0.0.1:9{SECRET_PATH}")
    text = _alert_logs(caplog)
    assert "ConnectError" in text
    assert "xoxSecretToken42" not in text


ENV_DUMP = """#!{python}
import json, os
print(json.dumps(dict(os.environ)))
"""


def test_local_mode_stage_process_sees_only_its_environment(  # type: ignore[no-untyped-def]
    dagbag, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real subprocess in place of the stage's console script: it prints its environment as
    # its JSON run summary, which the operator returns.
    script = tmp_path / "hoopcast-ingestion"
    script.write_text(ENV_DUMP.format(python=sys.executable))
    script.chmod(0o755)
    monkeypatch.setenv("HOOPCAST_VENV_BIN", str(tmp_path))
    monkeypatch.setenv("HOOPCAST_RUNNER", "local")
    monkeypatch.setenv("HOOPCAST_ENV", "replay")
    monkeypatch.setenv("ESPN_BASE_URL", "http://127.0.0.1:8765")
    monkeypatch.setenv("TRAINER_SEED", "7")
    for key, value in AIRFLOW_SECRETS.items():
        monkeypatch.setenv(key, value)
    task = dagbag.dags["data_collection"].get_task("collect_teams")
    seen = task.execute({"params": {"profile": "replay"}, "logical_date": dt.datetime(2026, 2, 7)})
    for key, value in AIRFLOW_SECRETS.items():
        assert key not in seen
        assert all(value not in v for v in seen.values()), f"the value of {key} leaked"
    assert not [k for k in seen if k.startswith("AIRFLOW")]
    # what the stage needs is there
    assert seen["ESPN_BASE_URL"] == "http://127.0.0.1:8765"
    assert seen["TRAINER_SEED"] == "7"
    assert seen["HOOPCAST_ENV"] == "replay"
    assert seen["PATH"] and seen["HOOPCAST_VENV_BIN"] == str(tmp_path)
