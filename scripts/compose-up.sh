#!/usr/bin/env bash
# The main job: `docker compose --profile replay up` of compose/docker-compose.yml (images from
# scripts/build-images), then follow the start-up trigger until the hoopcast_pipeline run ends.
# Airflow stays up afterwards: UI at http://localhost:${HOOPCAST_AIRFLOW_PORT:-8080}, and the four
# scheduled DAGs (unpaused by the trigger once the start-up run has ended) run on their schedules.
# --cluster: the compose profile `cluster` as well (CeleryExecutor, workers worker-a and
# worker-b, Redis, the S3 store, a DuckLake warehouse: docs/guides/cluster.md); the summary then
# counts the predictions in the lake.
# Exit code: the trigger's (0 only when the pipeline run succeeded).
set -euo pipefail
cd "$(dirname "$0")/.."
cluster=0
[[ ${1:-} == --cluster ]] && cluster=1
if docker compose version >/dev/null 2>&1; then compose=(docker compose); else compose=(docker-compose); fi
compose+=(-f compose/docker-compose.yml -p hoopcast --profile replay)
(( cluster )) && compose+=(--profile cluster)

"${compose[@]}" up -d
echo "compose-up: following the start-up trigger (hoopcast_pipeline on the replay data)…" >&2
"${compose[@]}" logs -f --no-color hoopcast-trigger &
logs_pid=$!
container="$("${compose[@]}" ps -q hoopcast-trigger)"
code="$(docker wait "$container")"
kill "$logs_pid" 2>/dev/null || true
tag="${HOOPCAST_IMAGE_TAG:-latest}"
# Where the predictions and the report are: counted in the warehouse on the volume (read-only,
# the run is over; a scheduled run may be writing: wait for DuckDB's lock) and the report folder
# copied out to var/compose/reports/ on this host.
count_sql='SELECT count(*), string_agg(DISTINCT run_kind, \x27, \x27) FROM predictions.predictions'
if (( cluster )); then
  # the lake, read from worker-a with the workers' settings and credential files
  predictions="$("${compose[@]}" exec -T worker-a hoopcast-airflow-entrypoint python -c "
from hoopcast_common.db import connect
from hoopcast_common.settings import load_settings
c = connect(load_settings('predictor').warehouse, read_only=True, migrate=False)
n, kinds = c.execute('${count_sql}').fetchone()
print(f'{n} rows ({kinds})')" 2>/dev/null || echo "not readable")"
  where="the DuckLake (catalog: database hoopcast_lake on postgres; data: s3://hoopcast/lake/)"
else
  predictions="$(docker run --rm -v hoopcast-data:/data:ro --entrypoint python \
    "hoopcast/predictor:${tag}" -c "
from hoopcast_common.db import connect
c = connect('/data/hoopcast.duckdb', read_only=True)
n, kinds = c.execute('${count_sql}').fetchone()
print(f'{n} rows ({kinds})')" 2>/dev/null || echo "not readable")"
  where="/data/hoopcast.duckdb on the Docker volume hoopcast-data"
fi
rm -rf var/compose/reports && mkdir -p var/compose
if (( ! cluster )) && docker run --rm --user 0 -v hoopcast-data:/data:ro -v "$PWD/var/compose:/out" --entrypoint sh \
    "hoopcast/predictor:${tag}" -c "cp -r /data/reports /out/ && chown -R $(id -u):$(id -g) /out/reports" \
    2>/dev/null; then
  report="$(ls -d var/compose/reports/*/ 2>/dev/null | sort | tail -n 1)"
  report="${report:+${report%/} (copied from /data/reports on the volume)}"
fi
port="${HOOPCAST_AIRFLOW_PORT:-8080}"
password="$(docker run --rm -v hoopcast-airflow-secrets:/s --entrypoint cat \
  "hoopcast/airflow:${tag}" /s/admin_password 2>/dev/null || echo '?')"
cat >&2 <<MSG

hoopcast_pipeline run: $([ "$code" = 0 ] && echo success || echo "FAILED (trigger exit $code)")
Airflow UI:   http://${HOOPCAST_AIRFLOW_BIND:-127.0.0.1}:${port}   user: ${HOOPCAST_AIRFLOW_ADMIN_USER:-admin}   password: ${password}
Warehouse:    ${where}
Predictions:  table predictions.predictions there: ${predictions}
Report:       ${report:-none yet (written by prediction.report_preds once predictions have final results)}
Schedules:    the four scheduled DAGs are unpaused: they now run on their schedules (README)
Stop:         $( (( cluster )) && echo 'make cluster-down   (containers only; the data is kept: make cluster-destroy)' || echo 'make down   (containers only; the data is kept: make backup, make destroy)')
MSG
(( cluster )) || cat >&2 <<MSG
Forecasts:    http://localhost:${port}/plugin/forecasts   (a page of the Airflow UI; log in as above)
In a terminal: docker run --rm -v hoopcast-data:/data:ro hoopcast/predictor:${tag} show [--team NAME]
MSG
exit "$code"
