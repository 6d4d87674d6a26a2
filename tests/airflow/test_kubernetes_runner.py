"""The kubernetes runner at the pod-spec level: the real DAG files parsed by a real DagBag with
``HOOPCAST_RUNNER=kubernetes``, each stage task's ``V1Pod`` built by the provider's own
``KubernetesPodOperator.build_pod_request_obj`` (no cluster here: nothing is submitted).

The env profiles are a copy of the project's ``production`` profile with Kubernetes settings,
a CPU/memory override for ingestion and secret settings holding a sentinel value; the expected
pods are worked out by hand from the catalog (``RESOURCES``) and those files.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from conftest import DAGS_FOLDER, ROOT
from hoopcast_airflow.catalog import DAGS, PIPELINE_DAG_ID
from hoopcast_airflow.config import airflow_settings, runner_mode
from hoopcast_airflow.operators import HoopcastStageOperator
from hoopcast_airflow.pod_operator import (
    HoopcastPodOperator,
    build_pod_spec,
    cpu_quantity,
    memory_quantity,
    pod_outcome,
)
from hoopcast_common.errors import ConfigError
from kubernetes.client import ApiClient
from kubernetes.client import models as k8s

SENTINEL = "sentinel-Zq9x-must-never-appear"
WEBHOOK_SENTINEL = "https://hooks.example.com/sentinel-Hk4w"
LOGICAL = dt.datetime(2026, 2, 8, 10, 0, tzinfo=dt.UTC)  # 05:00 US Eastern: game day 2026-02-08
NOW = "2026-02-08T10:00:00+00:00"
#: Rendered upstream ids (what Airflow renders the xcom_values templates to before execute).
XCOM_IDS = {"--run-id": "tr-7", "--batch-id": "b-42"}

#: service → (cpu, memory) quantities worked out by hand: the catalog's RESOURCES (features
#: 1 CPU/2g, trainer 2/3g, predictor 1/1g; Docker sizes are binary) and the ingestion
#: override 0.5 CPU/256m written into the profile below.
QUANTITIES = {
    "ingestion": ("500m", "256Mi"),
    "features": ("1", "2Gi"),
    "trainer": ("2", "3Gi"),
    "predictor": ("1", "1Gi"),
}

#: Process settings of both runners' DagBags; HOOPCAST_RUNNER is set per bag.
PROCESS_ENV = {"HOOPCAST_ENV": "production", "HOOPCAST_ALERT_WEBHOOK_URL": WEBHOOK_SENTINEL}


def make_env_dir(target: Path) -> Path:
    """The project's env profiles with the kubernetes settings and secrets of these tests."""
    shutil.copytree(ROOT / "env", target)
    production = target / "production"
    airflow_env = (production / "airflow.env").read_text()
    airflow_env = re.sub(
        r"(?m)^HOOPCAST_CPUS_INGESTION=.*$", "HOOPCAST_CPUS_INGESTION=0.5", airflow_env
    )
    airflow_env = re.sub(
        r"(?m)^HOOPCAST_MEMORY_INGESTION=.*$", "HOOPCAST_MEMORY_INGESTION=256m", airflow_env
    )
    airflow_env += (
        "\nHOOPCAST_IMAGE_REGISTRY=registry.example.com/\nHOOPCAST_IMAGE_TAG=t1\n"
        "HOOPCAST_K8S_NAMESPACE=hoopcast-test\nHOOPCAST_K8S_SERVICE_ACCOUNT=stage-runner\n"
        "HOOPCAST_K8S_SECRET=hoopcast-test-secrets\n"
        "HOOPCAST_K8S_ENV_FROM_SECRETS=ducklake-credentials, s3-credentials\n"
        "HOOPCAST_K8S_DATA_CLAIM=hoopcast-test-data\n"
        "HOOPCAST_K8S_IMAGE_PULL_SECRETS=registry-login\n"
    )
    (production / "airflow.env").write_text(airflow_env)
    with (production / "common.env").open("a") as fh:
        fh.write(f"\nWAREHOUSE_PASSWORD={SENTINEL}\n")
    with (production / "ingestion.env").open("a") as fh:
        fh.write(f"\nESPN_API_TOKEN={SENTINEL}\nEXTRA_API_KEY=\n")
    return target


@contextmanager
def runner(monkeypatch: pytest.MonkeyPatch, name: str) -> Iterator[None]:
    """``HOOPCAST_RUNNER=name`` in the process environment for the block."""
    with monkeypatch.context() as patch:
        patch.setenv("HOOPCAST_RUNNER", name)
        yield


@pytest.fixture(scope="module")
def bags(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The DagBags of airflow/dags parsed with the docker and the kubernetes runner; the
    process env (profile ``production`` from the copied env folder) stays set for the module."""
    from airflow.dag_processing.dagbag import DagBag

    with pytest.MonkeyPatch.context() as monkeypatch:
        env_dir = make_env_dir(tmp_path_factory.mktemp("k8s") / "env")
        monkeypatch.setenv("HOOPCAST_ENV_DIR", str(env_dir))
        for key, value in PROCESS_ENV.items():
            monkeypatch.setenv(key, value)
        for key in ("HOOPCAST_AS_OF", "HOOPCAST_DB", "HOOPCAST_WAREHOUSE", "HOOPCAST_ARTIFACTS"):
            monkeypatch.delenv(key, raising=False)
        monkeypatch.delenv("ESPN_BASE_URL", raising=False)
        result: dict[str, Any] = {}
        for name in ("docker", "kubernetes"):
            monkeypatch.setenv("HOOPCAST_RUNNER", name)
            bag = DagBag(str(DAGS_FOLDER))
            assert not bag.import_errors, bag.import_errors
            result[name] = bag
        result["monkeypatch"] = monkeypatch
        yield result


def serialized(pod: k8s.V1Pod) -> str:
    """The pod as the JSON the Kubernetes API would be sent."""
    return json.dumps(ApiClient().sanitize_for_serialization(pod), sort_keys=True)


def run_context(params: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"params": params or {}, "logical_date": LOGICAL}


def rendered(op: Any) -> None:
    """Set the task's upstream ids as Airflow's template rendering would."""
    op.xcom_values = {option: XCOM_IDS[option] for option in op.xcom_values}


def test_same_tasks_dependencies_and_limits_as_the_docker_runner(bags: dict[str, Any]) -> None:
    docker, kube = bags["docker"], bags["kubernetes"]
    assert sorted(kube.dags) == sorted(docker.dags) == sorted([*DAGS, PIPELINE_DAG_ID])
    stage_tasks = 0
    for dag_id, dag in kube.dags.items():
        other = docker.dags[dag_id]
        assert sorted(dag.task_dict) == sorted(other.task_dict)
        for task_id, op in dag.task_dict.items():
            twin = other.task_dict[task_id]
            assert sorted(op.upstream_task_ids) == sorted(twin.upstream_task_ids), task_id
            for attr in ("pool", "retries", "execution_timeout", "trigger_rule", "outlets"):
                assert getattr(op, attr) == getattr(twin, attr), (task_id, attr)
            assert op.retry_exponential_backoff == twin.retry_exponential_backoff
            assert op.max_retry_delay == twin.max_retry_delay
            if isinstance(twin, HoopcastStageOperator):
                stage_tasks += 1
                assert isinstance(op, HoopcastPodOperator), task_id
                assert op.stage == twin.stage
                # the same upstream-id templates (inside task groups: the group prefix)
                assert op.xcom_values == twin.xcom_values
                assert list(op.skip_on_exit_code) == [99] == list(twin.skip_on_exit_code)
            else:
                assert type(op) is type(twin), task_id
    # 5 + 4 + 4 + 5 stage tasks in the stage DAGs, the same again in the pipeline
    assert stage_tasks == 2 * (5 + 4 + 4 + 5)
    pipeline = kube.dags[PIPELINE_DAG_ID].task_dict
    assert pipeline["model_training.train_model"].xcom_values == {
        "--run-id": "{{ (ti.xcom_pull(task_ids='model_training.prepare_dataset') or {})"
        ".get('training_run_id') or '' }}"
    }


def test_every_stage_pod_from_the_catalog(bags: dict[str, Any]) -> None:
    docker, kube, monkeypatch = bags["docker"], bags["kubernetes"], bags["monkeypatch"]
    pods = 0
    for dag_id, dag in kube.dags.items():
        for task_id, op in dag.task_dict.items():
            if not isinstance(op, HoopcastPodOperator):
                continue
            service = op.stage.service
            rendered(op)
            args = op.prepare(run_context())
            pod = op.build_pod_request_obj(dry_run=True)
            pods += 1

            twin = docker.dags[dag_id].task_dict[task_id]
            rendered(twin)
            with runner(monkeypatch, "docker"):
                _, docker_args = twin.prepare(run_context())
            assert args == docker_args == twin.command, task_id

            [container] = pod.spec.containers
            assert container.image == f"registry.example.com/hoopcast/{service}:t1"
            assert not container.command  # the image's ENTRYPOINT: the stage console script
            assert container.args == docker_args
            cpu, memory = QUANTITIES[service]
            assert container.resources.requests == {"cpu": cpu, "memory": memory}, task_id
            assert container.resources.limits == {"cpu": cpu, "memory": memory}, task_id

            env = {var.name: var for var in container.env}
            assert env["HOOPCAST_ENV"].value == "production"
            assert env["HOOPCAST_DB"].value == "/data/hoopcast.duckdb"
            assert env["HOOPCAST_MODEL_DIR"].value == "/data/models"
            assert env["ESPN_BASE_URL"].value == "https://site.api.espn.com"
            assert "HOOPCAST_ALERT_WEBHOOK_URL" not in env  # Airflow's own secret stays there
            ref = env["WAREHOUSE_PASSWORD"].value_from.secret_key_ref
            assert (ref.name, ref.key, ref.optional) == (
                "hoopcast-test-secrets",
                "WAREHOUSE_PASSWORD",
                False,
            )
            assert env["WAREHOUSE_PASSWORD"].value is None
            if service == "ingestion":
                assert env["ESPN_MAX_CONCURRENCY"].value == "6"  # production/ingestion.env
                token = env["ESPN_API_TOKEN"].value_from.secret_key_ref
                assert (token.name, token.key, token.optional) == (
                    "hoopcast-test-secrets",
                    "ESPN_API_TOKEN",
                    False,
                )
                # a secret setting left empty in the profile: an optional reference
                assert env["EXTRA_API_KEY"].value_from.secret_key_ref.optional is True
            else:
                assert "ESPN_API_TOKEN" not in env
            assert [s.secret_ref.name for s in container.env_from] == [
                "ducklake-credentials",
                "s3-credentials",
            ]
            assert [(m.name, m.mount_path) for m in container.volume_mounts] == [
                ("hoopcast-data", "/data")
            ]
            [volume] = pod.spec.volumes
            assert volume.persistent_volume_claim.claim_name == "hoopcast-test-data"
            assert pod.metadata.namespace == "hoopcast-test"
            assert pod.spec.service_account_name == "stage-runner"
            assert pod.spec.automount_service_account_token is False
            context = pod.spec.security_context  # the images' user, uid 50000 in group 0
            assert (context.run_as_user, context.run_as_group, context.fs_group) == (50000, 0, 0)
            assert [s.name for s in pod.spec.image_pull_secrets] == ["registry-login"]
            assert pod.spec.restart_policy == "Never"

            text = serialized(pod)
            assert SENTINEL not in text and "sentinel-Hk4w" not in text, task_id
    assert pods == 2 * (5 + 4 + 4 + 5)


@pytest.mark.parametrize(
    ("dag_id", "task_id", "params", "expected"),
    [
        (
            "data_collection",
            "collect_games",
            {"date_from": "2026-02-01"},
            [
                *("games", "--as-of", "2026-02-08", "--now", NOW),
                *("--from", "2026-02-01", "--to", "2026-02-08"),
            ],
        ),
        ("model_training", "train_model", {}, ["fit", "--as-of", "2026-02-08", "--run-id", "tr-7"]),
        (
            "prediction",
            "generate_preds",
            {},
            ["predict", "--days", "7", "--stage-only", "--as-of", "2026-02-08", "--now", NOW],
        ),
        (
            "prediction",
            "store_preds",
            {},
            ["store", "--as-of", "2026-02-08", "--now", NOW, "--batch-id", "b-42"],
        ),
        (
            PIPELINE_DAG_ID,
            "model_training.evaluate_model",
            {"as_of": "2026-01-31"},
            ["evaluate", "--as-of", "2026-01-31", "--run-id", "tr-7"],
        ),
    ],
)
def test_pod_args_worked_out_by_hand(
    bags: dict[str, Any], dag_id: str, task_id: str, params: dict[str, Any], expected: list[str]
) -> None:
    op = bags["kubernetes"].dags[dag_id].task_dict[task_id]
    rendered(op)
    op.prepare(run_context(params))
    [container] = op.build_pod_request_obj(dry_run=True).spec.containers
    assert container.args == expected


def test_no_secret_value_in_the_serialized_dags(bags: dict[str, Any]) -> None:
    """What the DAG processor stores (and the UI shows) of the pod operators holds no value."""
    from airflow.serialization.serialized_objects import DagSerialization

    for dag in bags["kubernetes"].dags.values():
        text = json.dumps(DagSerialization.serialize_dag(dag), default=str)
        assert "hoopcast-test-secrets" in text, dag.dag_id  # the references are there
        assert SENTINEL not in text and "sentinel-Hk4w" not in text, dag.dag_id


def test_warehouse_and_artefact_store_settings(bags: dict[str, Any]) -> None:
    monkeypatch = bags["monkeypatch"]
    spec = DAGS["model_training"].task("train_model")
    warehouse = "ducklake:postgres:dbname=hoopcast host=catalog.hoopcast"
    with monkeypatch.context() as patch:
        patch.setenv("HOOPCAST_WAREHOUSE", warehouse)
        patch.setenv("HOOPCAST_ARTIFACTS", "s3://hoopcast-artefacts/models")
        both = build_pod_spec(spec, "production", ["fit"])
        patch.delenv("HOOPCAST_ARTIFACTS")
        warehouse_only = build_pod_spec(spec, "production", ["fit"])
    env = {var.name: var.value for var in both.env}
    assert env["HOOPCAST_WAREHOUSE"] == warehouse
    assert env["HOOPCAST_ARTIFACTS"] == "s3://hoopcast-artefacts/models"
    assert "HOOPCAST_DB" not in env and "HOOPCAST_MODEL_DIR" not in env
    assert both.volumes == [] and both.volume_mounts == []  # nothing on files: no claim

    env = {var.name: var.value for var in warehouse_only.env}
    assert env["HOOPCAST_WAREHOUSE"] == warehouse and "HOOPCAST_DB" not in env
    assert env["HOOPCAST_MODEL_DIR"] == "/data/models"  # models still on the claim
    assert [v.persistent_volume_claim.claim_name for v in warehouse_only.volumes] == [
        "hoopcast-test-data"
    ]


def terminated(code: int | None) -> k8s.V1Pod:
    """A finished pod as the API reports it: the base container's state (None: never ran)."""
    state = (
        k8s.V1ContainerState(terminated=k8s.V1ContainerStateTerminated(exit_code=code))
        if code is not None
        else k8s.V1ContainerState(waiting=k8s.V1ContainerStateWaiting(reason="ImagePullBackOff"))
    )
    status = k8s.V1ContainerStatus(
        name="base", state=state, image="hoopcast/trainer:t1", image_id="", ready=False,
        restart_count=0,
    )  # fmt: skip
    return k8s.V1Pod(status=k8s.V1PodStatus(phase="Failed", container_statuses=[status]))


def test_exit_codes_as_the_docker_runner() -> None:
    summary = {"status": "success", "exit_code": 0, "run_id": "r1"}
    log = f"some progress line\n{json.dumps(summary)}\n"
    assert pod_outcome(terminated(0), "base", log, "hoopcast-trainer fit") == summary
    with pytest.raises(AirflowSkipException, match="nothing to do"):
        pod_outcome(terminated(99), "base", '{"error": "no games", "exit_code": 99}', "x")
    with pytest.raises(AirflowFailException, match="exit 2"):
        pod_outcome(terminated(2), "base", '{"error": "bad --as-of", "exit_code": 2}', "x")
    with pytest.raises(AirflowException, match="exit code 3") as retried:
        pod_outcome(terminated(3), "base", '{"error": "warehouse busy", "exit_code": 3}', "x")
    assert not isinstance(retried.value, AirflowFailException)  # retried with backoff
    with pytest.raises(AirflowException, match="printed no JSON run summary"):
        pod_outcome(terminated(0), "base", "no summary here\n", "x")
    with pytest.raises(AirflowException, match="did not run to an exit code"):
        pod_outcome(terminated(None), "base", "", "x")


@pytest.mark.parametrize(
    ("cpus", "quantity"), [(1.0, "1"), (2.0, "2"), (0.5, "500m"), (0.25, "250m"), (1.5, "1500m")]
)
def test_cpu_quantity(cpus: float, quantity: str) -> None:
    assert cpu_quantity(cpus) == quantity


@pytest.mark.parametrize(
    ("memory", "quantity"),
    [("1g", "1Gi"), ("3g", "3Gi"), ("256m", "256Mi"), ("1536m", "1536Mi"), ("512k", "512Ki"),
     ("1500", "1500")],
)  # fmt: skip
def test_memory_quantity(memory: str, quantity: str) -> None:
    assert memory_quantity(memory) == quantity


def test_bad_limits_name_the_value() -> None:
    with pytest.raises(ConfigError, match="'lots'"):
        memory_quantity("lots")
    with pytest.raises(ConfigError, match=r"0\.0001"):
        cpu_quantity(0.0001)


def test_unknown_runner_names_the_value(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("HOOPCAST_RUNNER", "nomad")
    monkeypatch.setenv("HOOPCAST_ENV", "production")
    monkeypatch.delenv("HOOPCAST_ENV_DIR", raising=False)
    with pytest.raises(ConfigError, match=r"HOOPCAST_RUNNER='nomad'.*'kubernetes'"):
        runner_mode(airflow_settings())
    bag = DagBag(str(DAGS_FOLDER))
    assert not bag.dags
    assert len(bag.import_errors) == len(list(DAGS_FOLDER.glob("*.py")))
    for error in bag.import_errors.values():
        assert "HOOPCAST_RUNNER='nomad'" in error
