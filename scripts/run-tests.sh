#!/usr/bin/env bash
# The test suite, as `make test` and CI run it.
#
# Where a Docker engine is reachable, the images are built first (scripts/build-images: cached,
# works without a registry) so that the container tests (tests/containers, tests/e2e, the
# Docker tests of tests/airflow) run for real; without an engine they skip with a reason.
# pytest's exit code 5 ("no tests collected") is a failure here: a run that tests nothing
# proves nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
UV="${UV:-.tools/bin/uv}"
[ -x "$UV" ] || UV=uv
if [ "${HOOPCAST_SKIP_IMAGES:-0}" != 1 ] && command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  echo "run-tests: Docker engine reachable: building the images (scripts/build-images)" >&2
  PATH="$(dirname "$(realpath "$UV")"):$PATH" bash scripts/build-images
  # the cluster profile's redis and seaweedfs images (tests/containers, tests/e2e cluster tests)
  PATH="$(dirname "$(realpath "$UV")"):$PATH" bash scripts/build-images --only cluster
else
  echo "run-tests: no Docker engine reachable (or HOOPCAST_SKIP_IMAGES=1): container tests will skip" >&2
fi
"$UV" run pytest "$@"
if [ $# -eq 0 ]; then
  # the warehouse-backend tests once more on a DuckLake (real PostgreSQL + S3 server;
  # skipped with the reason where their binaries are missing)
  echo "run-tests: the warehouse tests on DuckLake (--warehouse=ducklake)" >&2
  "$UV" run pytest -m warehouse --warehouse=ducklake
fi
