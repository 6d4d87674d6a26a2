"""Failure alerts and the pipeline's success summary.

:func:`alert_on_failure` is every task's ``on_failure_callback``: it writes one structured
log record (logger ``hoopcast.alerts``, message = JSON with DAG, task, run, try number,
exception and log URL) and, when ``HOOPCAST_ALERT_WEBHOOK_URL`` is configured
(``env/<profile>/airflow.env`` or the environment), POSTs a Slack-compatible message
(``{"text": ..., "blocks": [...]}``; Slack incoming-webhook format) to it. Delivery failures
are logged, never raised: an alert must not mask the task's own error. The webhook URL is a
secret (Slack's token is its path): log lines and the record name only its scheme and host
(:func:`redact_webhook`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from hoopcast_airflow.config import airflow_settings

log = logging.getLogger("hoopcast.alerts")

WEBHOOK_SETTING = "HOOPCAST_ALERT_WEBHOOK_URL"


def webhook_label(url: str) -> str:
    """What logs may say of a webhook URL: ``scheme://host/<redacted>`` (no path, query or
    credentials, where the secret sits)."""
    try:
        parsed = httpx.URL(url)
        return f"{parsed.scheme}://{parsed.host}/<redacted>"
    except (httpx.InvalidURL, TypeError, ValueError):
        return "<redacted webhook URL>"


def redact_webhook(text: str, url: str) -> str:
    """``text`` with every form of the secret ``url`` replaced by :func:`webhook_label`.

    Replaces the URL as configured, as httpx normalises it (error messages quote that form)
    and its path + query alone; returns ``text`` unchanged when ``url`` is empty.
    """
    if not url:
        return text
    forms = {url, url.rstrip("/")}
    try:
        parsed = httpx.URL(url)
        forms.add(str(parsed))
        tail = parsed.raw_path.decode("ascii", "replace")
        if len(tail) > 1:
            forms.add(tail)
        if parsed.userinfo:
            forms.add(parsed.userinfo.decode("ascii", "replace"))
    except (httpx.InvalidURL, TypeError, ValueError):
        pass
    label = webhook_label(url)
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, label)
    return text


class _RedactingFilter(logging.Filter):
    """Rewrites a log record's message with :func:`redact_webhook` (httpx logs every URL)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_webhook(message, self.url)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def post_webhook(url: str, payload: Mapping[str, Any]) -> int:
    """POST ``payload`` as JSON to the webhook ``url``; returns the HTTP status code.

    httpx's own request log lines (loggers ``httpx``, ``httpcore``) are redacted meanwhile.

    Raises:
        httpx.HTTPError: the webhook is unreachable or answered an error status.
    """
    redactor = _RedactingFilter(url)
    loggers = [logging.getLogger(name) for name in ("httpx", "httpcore")]
    for logger in loggers:
        logger.addFilter(redactor)
    try:
        response = httpx.post(url, json=dict(payload), timeout=10.0)
        response.raise_for_status()
        return response.status_code
    finally:
        for logger in loggers:
            logger.removeFilter(redactor)


def failure_record(context: Mapping[str, Any]) -> dict[str, Any]:
    """The alert fields of a failed task instance's callback ``context``.

    Returns ``{"event": "task_failed", "dag_id", "task_id", "run_id", "try_number",
    "max_tries", "exception", "log_url", "logical_date"}``.
    """
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    exception = context.get("exception")
    logical_date = context.get("logical_date")
    return {
        "event": "task_failed",
        "dag_id": getattr(ti, "dag_id", None) or getattr(dag_run, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(ti, "run_id", None) or getattr(dag_run, "run_id", None),
        "try_number": getattr(ti, "try_number", None),
        "max_tries": getattr(ti, "max_tries", None),
        "exception": f"{type(exception).__name__}: {exception}" if exception else None,
        "log_url": getattr(ti, "log_url", None),
        "logical_date": logical_date.isoformat() if logical_date is not None else None,
    }


def slack_payload(record: Mapping[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message for an alert record (``text`` + one section block)."""
    text = (
        f":red_circle: hoopcast task failed: {record['dag_id']}.{record['task_id']} "
        f"(run {record['run_id']}, try {record['try_number']}): {record['exception']}"
    )
    link = f"\n<{record['log_url']}|task log>" if record.get("log_url") else ""
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text + link}}],
    }


def alert_on_failure(context: Mapping[str, Any]) -> dict[str, Any]:
    """``on_failure_callback``: log the structured alert and post it to the webhook if set.

    Returns the alert record (for tests and other callbacks).
    """
    record = failure_record(context)
    log.error("%s", json.dumps(record, default=str), extra={"hoopcast_alert": record})
    try:
        url = airflow_settings().get(WEBHOOK_SETTING)
    except Exception as exc:  # configuration errors must not hide the task's own error
        log.warning("cannot read %s: %s", WEBHOOK_SETTING, exc)
        url = None
    if url:
        try:
            record["webhook_status"] = post_webhook(url, slack_payload(record))
        except httpx.HTTPError as exc:
            error = redact_webhook(f"{type(exc).__name__}: {exc}", url)
            log.warning("alert webhook %s failed: %s", webhook_label(url), error)
            record["webhook_error"] = error
    return record


def pipeline_summary(results: Mapping[str, Any]) -> dict[str, Any]:
    """Condense the stage tasks' run summaries (task id → summary dict or None if skipped).

    Returns ``{"tasks": n, "succeeded": [...], "skipped": [...], "counts": {task: counts},
    "duration_s": total}``.
    """
    succeeded = sorted(t for t, s in results.items() if isinstance(s, Mapping))
    skipped = sorted(t for t, s in results.items() if not isinstance(s, Mapping))
    counts = {t: dict(results[t].get("counts") or {}) for t in succeeded}
    duration = sum(float(results[t].get("duration_s") or 0.0) for t in succeeded)
    return {
        "tasks": len(results),
        "succeeded": succeeded,
        "skipped": skipped,
        "counts": counts,
        "duration_s": round(duration, 3),
    }
