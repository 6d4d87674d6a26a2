# hoopcast — the two set-up commands of the README, and their parts.
#
#   make up      the main job: build the images, `docker compose --profile replay up`, follow the
#                start-up pipeline run to its end (the Airflow UI stays up at http://localhost:8080)
#   make test    lint, type checks and the whole test suite (what CI runs)
#   make down    stop and remove the containers; the data (warehouse, models, reports) is kept
#   make destroy stop everything and DELETE the volumes: warehouse, models, reports, metadata DB
#   make backup  warehouse (DuckDB EXPORT DATABASE, Parquet) + models + reports -> backups/*.tar.gz
#   make restore BACKUP=backups/hoopcast-backup-<time>.tar.gz [FORCE=1]
#   make cluster-up   the same with the compose profile `cluster`: CeleryExecutor, workers worker-a
#                and worker-b, Redis, an S3 store, a DuckLake warehouse (docs/guides/cluster.md)
#   make cluster-down stop and remove the cluster's containers (data kept); cluster-destroy: and
#                its volumes
#
# Everything installs what it needs: uv comes from PyPI into .tools/, the workspace into .venv/.

SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
COMPOSE_FILE := compose/docker-compose.yml

.PHONY: simulate help setup lint typecheck test pipeline airflow-pipeline images up down destroy backup \
	restore bench clean cluster-images cluster-up cluster-down cluster-destroy

help:
	@sed -n '1,16p' Makefile

$(UV):
	python3 -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet "uv==$(UV_VERSION)"

# The workspace venv, byte-compiled once: some hosts set PYTHONDONTWRITEBYTECODE, and then every
# stage CLI would recompile numpy, duckdb, typer... from source at each start (≈ 0.35 s).
VENV_STAMP := .venv/.hoopcast-synced

setup: $(VENV_STAMP)

$(VENV_STAMP): $(UV) uv.lock
	$(UV) sync --frozen --compile-bytecode
	touch $@

lint: setup
	$(UV) run ruff check .
	$(UV) run ruff format --check .

typecheck: setup
	$(UV) run mypy services/common/src services/ml/src services/ingestion/src services/espn-replay/src \
	    services/features/src services/trainer/src services/predictor/src airflow/src

test: lint typecheck
	bash scripts/run-tests.sh

# The pipeline without Docker: the replay server plus every stage's console script, in the
# order of the hoopcast_pipeline DAG, on the replay profile (HOOPCAST_ENV=local for live ESPN).
pipeline: setup
	$(UV) run bash scripts/run-pipeline.sh

# The same pipeline through Airflow: `airflow dags test hoopcast_pipeline` in local mode.
airflow-pipeline: setup
	$(UV) run bash scripts/airflow-dags-test.sh

# A month of daily operation on the replay: hoopcast-simulate runs hoopcast_pipeline on the
# first game day, then the scheduled DAGs day by day, and prints the scorecard (own warehouse).
simulate: setup
	HOOPCAST_DB=$(CURDIR)/var/simulate/hoopcast.duckdb $(UV) run hoopcast-simulate \
	    --from 2026-01-12 --to 2026-02-07 --airflow-home $(CURDIR)/var/simulate/airflow

images: setup
	PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" bash scripts/build-images

up: images
	bash scripts/compose-up.sh

COMPOSE := if docker compose version >/dev/null 2>&1; then c="docker compose"; else c=docker-compose; fi; \
	$$c -f $(COMPOSE_FILE) -p hoopcast --profile replay

# Stage containers are started by Airflow, not compose: those still there (a run stopped by
# `down`) are removed too, so nothing holds the data volume.
STAGE_CONTAINERS_RM := ids=$$(docker ps -aq --filter volume=hoopcast-data); \
	if [ -n "$$ids" ]; then echo "removing stage containers: $$ids"; docker rm -f $$ids >/dev/null; fi

down:
	$(COMPOSE) down
	@$(STAGE_CONTAINERS_RM)

# The compose profile `cluster` (docs/guides/cluster.md): its two images, then up + follow the
# start-up run as `make up` does. Stage containers of the cluster mount no volume: those left
# on the hoopcast network (a run stopped by `cluster-down`) are removed after the workers stop.
cluster-images: setup
	PATH="$(CURDIR)/$(TOOLS)/bin:$$PATH" bash scripts/build-images --only cluster

cluster-up: images cluster-images
	bash scripts/compose-up.sh --cluster

COMPOSE_CLUSTER := $(COMPOSE) --profile cluster
CLUSTER_STAGE_CONTAINERS_RM := ids=$$(docker ps -aq --filter network=hoopcast | while read -r id; do \
	  [ -z "$$(docker inspect -f '{{ index .Config.Labels "com.docker.compose.project" }}' $$id)" ] && echo $$id; \
	done); if [ -n "$$ids" ]; then echo "removing stage containers: $$ids"; docker rm -f $$ids >/dev/null; fi

cluster-down:
	$(COMPOSE_CLUSTER) stop
	@$(CLUSTER_STAGE_CONTAINERS_RM)
	$(COMPOSE_CLUSTER) down

cluster-destroy:
	@echo "make cluster-destroy: deleting the hoopcast volumes (lake catalog and S3 data, Airflow metadata, secrets)"
	$(MAKE) cluster-down
	$(COMPOSE_CLUSTER) down --volumes

destroy:
	@echo "make destroy: deleting the hoopcast volumes (warehouse, models, reports, Airflow metadata, secrets)"
	$(COMPOSE) down
	@$(STAGE_CONTAINERS_RM)
	$(COMPOSE) down --volumes

backup:
	bash scripts/data-backup backup

restore:
	@test -n "$(BACKUP)" || { echo "make restore: BACKUP=backups/hoopcast-backup-<time>.tar.gz [FORCE=1]" >&2; exit 2; }
	bash scripts/data-backup restore "$(BACKUP)" $(if $(FORCE),--force)

bench: setup
	for b in bench/espn-replay/bench_replay.py bench/ingestion/bench_ingestion.py bench/features/bench_build.py \
	    bench/trainer/quality.py bench/predictor/bench_predict.py; do \
	  echo "== $$b"; $(UV) run python $$b || exit 1; done

clean:
	rm -rf var .pytest_cache .ruff_cache .mypy_cache
