#!/usr/bin/env bash
# The hoopcast pipeline without Docker or Airflow: every stage's console script in the order of
# the hoopcast_pipeline DAG, on one profile (default `replay`, which first starts the offline ESPN
# replay server on the shipped real data; HOOPCAST_ENV=local talks to live ESPN instead).
#
# Usage: scripts/run-pipeline.sh            (run from the repo root inside `uv run`, or `make pipeline`)
# Env:   HOOPCAST_ENV (default replay), HOOPCAST_INGEST_START (override the first date collected),
#        PREDICT_DAYS (default 7), BACKTEST_DAYS (default 28).
set -euo pipefail
cd "$(dirname "$0")/.."
export HOOPCAST_ENV="${HOOPCAST_ENV:-replay}"
PREDICT_DAYS="${PREDICT_DAYS:-7}"
BACKTEST_DAYS="${BACKTEST_DAYS:-28}"

setting() {  # setting KEY: the value of KEY in the profile's common.env (the environment wins)
  local key="$1"
  if [ -n "${!key:-}" ]; then echo "${!key}"; return; fi
  sed -n "s/^${key}=//p" "env/${HOOPCAST_ENV}/common.env" | tail -1
}

summary() {  # summary STEP CMD...: run a stage command; 0 and 99 (nothing to do) are fine
  local step="$1"; shift
  echo "── ${step}: $*" >&2
  local out rc=0
  out="$("$@")" || rc=$?
  local last; last="$(printf '%s\n' "$out" | tail -1)"
  echo "   ${last}" >&2
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 99 ]; then
    echo "pipeline: ${step} failed with exit code ${rc}" >&2
    exit "$rc"
  fi
  LAST_SUMMARY="$last"
}

REPLAY_PID=""
cleanup() { [ -n "$REPLAY_PID" ] && kill "$REPLAY_PID" 2>/dev/null || true; }
trap cleanup EXIT

if [ "$HOOPCAST_ENV" = "replay" ]; then
  base_url="$(setting ESPN_BASE_URL)"
  port="${base_url##*:}"
  now="$(setting REPLAY_NOW)"
  mkdir -p var
  health="${base_url}/__replay/health"
  if python3 -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" "$health" 2>/dev/null; then
    echo "pipeline: something already answers on ${base_url}; stop it or set ESPN_BASE_URL to a free port" >&2
    exit 2
  fi
  echo "── starting the ESPN replay server on ${base_url} (clock ${now}); log: var/espn-replay.log" >&2
  hoopcast-espn-replay --port "$port" --now "$now" >var/espn-replay.log 2>&1 &
  REPLAY_PID=$!
  for _ in $(seq 1 120); do
    if python3 -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
        "$health" 2>/dev/null; then
      break
    fi
    kill -0 "$REPLAY_PID" 2>/dev/null || { cat var/espn-replay.log >&2; exit 1; }
    sleep 0.5
  done
  kill -0 "$REPLAY_PID" 2>/dev/null || { cat var/espn-replay.log >&2; exit 1; }
fi

summary ingestion hoopcast-ingestion collect
summary data-quality hoopcast-ingestion check
summary features hoopcast-features build
summary training hoopcast-trainer train
summary prediction hoopcast-predictor predict --days "$PREDICT_DAYS"
# Out-of-sample check of the production model on the last BACKTEST_DAYS before the logical date
# (games the trainer held out for validation), so that the report has finished games to show.
summary backtest hoopcast-predictor backtest --days "$BACKTEST_DAYS"
summary evaluation hoopcast-predictor evaluate
summary report hoopcast-predictor report
report_summary="$LAST_SUMMARY"

db="$(setting HOOPCAST_DB)"
echo >&2
echo "Done. Warehouse: ${db} (predictions in predictions.predictions)" >&2
echo "Report: $(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d.get("report_dir") or d.get("error"))' "$report_summary")" >&2
echo "Forecasts: hoopcast-predictor show [--team NAME] [--format csv|json]  (files: $(dirname "$db")/exports/<game day>/forecasts.csv and .parquet)" >&2
echo "Forecasts page: AIRFLOW_HOME=var/airflow airflow api-server --port 8080, then http://localhost:8080/plugin/forecasts (docs/guides/forecasts.md)" >&2
