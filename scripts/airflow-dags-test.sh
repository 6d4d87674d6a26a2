#!/usr/bin/env bash
# `airflow dags test hoopcast_pipeline <date>` in local mode (HOOPCAST_RUNNER=local: each task
# runs the stage's console script in a subprocess; no Docker), on the replay profile, with an
# AIRFLOW_HOME under var/airflow (SQLite; git-ignored). Starts and stops the replay server.
#
# Usage: scripts/airflow-dags-test.sh [LOGICAL_DATE]     (default: the replay clock, 2026-02-07)
# Run inside `uv run` (or `make airflow-pipeline`).
set -euo pipefail
cd "$(dirname "$0")/.."
export HOOPCAST_ENV="${HOOPCAST_ENV:-replay}" HOOPCAST_RUNNER=local
export AIRFLOW_HOME="${AIRFLOW_HOME:-$PWD/var/airflow}"
export AIRFLOW__CORE__LOAD_EXAMPLES=False AIRFLOW__CORE__DAGS_FOLDER="$PWD/airflow/dags"
now="$(sed -n 's/^REPLAY_NOW=//p' "env/${HOOPCAST_ENV}/common.env" | tail -1)"
logical="${1:-${now:-$(date -u +%F)}}"
mkdir -p "$AIRFLOW_HOME" var
airflow db migrate >/dev/null
airflow pools set hoopcast_duckdb 1 "one writer at a time on the DuckDB warehouse" >/dev/null
replay_pid=""
if [ "$HOOPCAST_ENV" = replay ]; then
  hoopcast-espn-replay --now "$now" >var/espn-replay.log 2>&1 &
  replay_pid=$!
  trap 'kill "$replay_pid" 2>/dev/null || true' EXIT
  health="$(sed -n 's/^ESPN_BASE_URL=//p' "env/${HOOPCAST_ENV}/common.env" | tail -1)/__replay/health"
  for _ in $(seq 1 120); do
    python3 -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)" \
      "$health" 2>/dev/null && break
    kill -0 "$replay_pid" 2>/dev/null || { cat var/espn-replay.log >&2; exit 1; }
    sleep 0.5
  done
fi
airflow dags test hoopcast_pipeline "$logical"
