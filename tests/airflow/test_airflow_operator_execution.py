"""The stage operator's container spec, and real containers where a Docker engine is reachable."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from conftest import ROOT
from hoopcast_airflow.catalog import DATA_COLLECTION, MODEL_TRAINING, PREDICTION
from hoopcast_airflow.operators import (
    HoopcastStageOperator,
    RunClock,
    build_container_spec,
    resolve_clock,
)
from hoopcast_common.errors import ConfigError

HERE = Path(__file__).resolve().parent


@pytest.fixture
def env_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's env profiles plus a secret and limits (HOOPCAST_ENV_DIR)."""
    target = tmp_path / "env"
    shutil.copytree(ROOT / "env", target)
    (target / "replay" / "ingestion.env").write_text(
        "ESPN_API_TOKEN=s3cret-token\nFAKE_EXIT=0\nFAKE_SLEEP_MS=3000\n"
    )
    with (target / "replay" / "airflow.env").open("a") as fh:
        fh.write(
            "\nHOOPCAST_CPUS_INGESTION=0.5\nHOOPCAST_MEMORY_INGESTION=256m\n"
            "HOOPCAST_IMAGE_TAG=t1\nHOOPCAST_DOCKER_NETWORK=hoopcast-test-net\n"
            "HOOPCAST_DATA_VOLUME=hoopcast-test-data\n"
        )
    monkeypatch.setenv("HOOPCAST_ENV_DIR", str(target))
    monkeypatch.setenv("HOOPCAST_RUNNER", "docker")
    for key in ("HOOPCAST_AS_OF", "HOOPCAST_DB", "HOOPCAST_ENV", "HOOPCAST_IMAGE_TAG"):
        monkeypatch.delenv(key, raising=False)
    return target


def test_container_spec_from_catalog_and_profile(env_dir: Path) -> None:
    spec = build_container_spec(
        DATA_COLLECTION.task("collect_games"),
        "replay",
        ["games", "--as-of", "2026-02-07"],
        environ={"ESPN_BASE_URL": "http://espn-replay:8765", "UNRELATED": "x"},
    )
    assert spec.image == "hoopcast/ingestion:t1"
    assert spec.command == ["games", "--as-of", "2026-02-07"]
    env = spec.environment
    assert env["HOOPCAST_DB"] == "/data/hoopcast.duckdb"
    assert env["HOOPCAST_MODEL_DIR"] == "/data/models"
    assert env["HOOPCAST_ENV"] == "replay"
    assert env["ESPN_BASE_URL"] == "http://espn-replay:8765"  # from the Airflow process env
    assert env["REPLAY_NOW"] == "2026-02-07"  # from env/replay/common.env
    assert env["FAKE_EXIT"] == "0"  # from env/replay/ingestion.env
    assert "UNRELATED" not in env  # the Airflow process env is not copied wholesale
    assert "ESPN_API_TOKEN" not in env
    assert spec.private_environment == {"ESPN_API_TOKEN": "s3cret-token"}
    assert [(m["Target"], m["Source"], m["Type"]) for m in spec.mounts] == [
        ("/data", "hoopcast-test-data", "volume")
    ]
    assert spec.cpus == 0.5 and spec.nano_cpus == 500_000_000
    assert spec.mem_limit == "256m"
    assert spec.network == "hoopcast-test-net"


def test_cluster_spec_has_lake_settings_private_credentials_and_no_volume(
    env_dir: Path, tmp_path: Path
) -> None:
    """The compose profile `cluster`: no data volume, the lake settings passed on, the
    credentials read from their files into the private environment only."""
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "pg").write_text("pg-pass-1\n")
    (secrets / "key").write_text("AK-cluster\n")
    (secrets / "secret").write_text("SK-cluster-2")
    warehouse = "ducklake:postgres:dbname=hoopcast_lake host=postgres user=hoopcast_lake"
    environ = {
        "HOOPCAST_DATA_VOLUME": "none",
        "HOOPCAST_WAREHOUSE": warehouse,
        "HOOPCAST_LAKE_DATA_PATH": "s3://hoopcast/lake/",
        "HOOPCAST_LAKE_S3_ENDPOINT": "seaweedfs:8333",
        "HOOPCAST_LAKE_S3_USE_SSL": "false",
        "HOOPCAST_ARTIFACTS": "s3://hoopcast/artifacts/",
        "HOOPCAST_LAKE_PG_PASSWORD_FILE": str(secrets / "pg"),
        "HOOPCAST_LAKE_S3_KEY_ID_FILE": str(secrets / "key"),
        "HOOPCAST_LAKE_S3_SECRET_FILE": str(secrets / "secret"),
    }
    spec = build_container_spec(
        PREDICTION.task("generate_preds"), "replay", ["predict"], environ=environ
    )
    assert spec.mounts == []
    env = spec.environment
    assert env["HOOPCAST_WAREHOUSE"] == warehouse
    assert env["HOOPCAST_LAKE_DATA_PATH"] == "s3://hoopcast/lake/"
    assert env["HOOPCAST_LAKE_S3_ENDPOINT"] == "seaweedfs:8333"
    assert env["HOOPCAST_LAKE_S3_USE_SSL"] == "false"
    assert env["HOOPCAST_ARTIFACTS"] == "s3://hoopcast/artifacts/"
    assert spec.private_environment == {
        "HOOPCAST_LAKE_PG_PASSWORD": "pg-pass-1",
        "HOOPCAST_LAKE_S3_KEY_ID": "AK-cluster",
        "HOOPCAST_LAKE_S3_SECRET": "SK-cluster-2",
    }
    public_text = json.dumps(env)
    assert not any(v in public_text for v in ("pg-pass-1", "AK-cluster", "SK-cluster-2"))
    assert not any(k.endswith("_FILE") for k in env)  # the secret files stay with Airflow

    # an empty HOOPCAST_DATA_VOLUME is no volume too; unset, the default named volume
    empty = build_container_spec(
        PREDICTION.task("generate_preds"), "production", ["predict"], {"HOOPCAST_DATA_VOLUME": ""}
    )
    assert empty.mounts == []
    default = build_container_spec(PREDICTION.task("generate_preds"), "production", ["predict"], {})
    assert [(m["Source"], m["Type"]) for m in default.mounts] == [("hoopcast-data", "volume")]


def test_unreadable_credential_file_is_a_config_error_naming_the_setting(
    env_dir: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere" / "lake_pg_password"
    with pytest.raises(ConfigError, match="HOOPCAST_LAKE_PG_PASSWORD_FILE") as raised:
        build_container_spec(
            PREDICTION.task("generate_preds"),
            "replay",
            ["predict"],
            {"HOOPCAST_LAKE_PG_PASSWORD_FILE": str(missing)},
        )
    assert str(missing) in str(raised.value)
    (tmp_path / "empty").write_text("")
    with pytest.raises(ConfigError, match=r"HOOPCAST_LAKE_S3_SECRET_FILE.*empty"):
        build_container_spec(
            PREDICTION.task("generate_preds"),
            "replay",
            ["predict"],
            {"HOOPCAST_LAKE_S3_SECRET_FILE": str(tmp_path / "empty")},
        )


def test_trainer_defaults_from_catalog(env_dir: Path) -> None:
    spec = build_container_spec(MODEL_TRAINING.task("train_model"), "production", ["fit"], {})
    assert spec.image == "hoopcast/trainer:latest"
    assert spec.nano_cpus == 2_000_000_000 and spec.mem_limit == "3g"
    assert "ESPN_BASE_URL" in spec.environment  # production common.env: live ESPN
    assert spec.environment["ESPN_BASE_URL"].startswith("https://")


def test_operator_prepares_the_run_from_params(env_dir: Path) -> None:
    op = HoopcastStageOperator(task_id="collect_games", stage=DATA_COLLECTION.task("collect_games"))
    assert op.auto_remove == "success"
    assert op.mount_tmp_dir is False
    assert list(op.skip_on_exit_code) == [99]
    context = {
        "params": {"profile": "replay", "as_of": "2025-01-20", "date_from": "2025-01-10"},
        "logical_date": dt.datetime(2025, 3, 1, tzinfo=dt.UTC),
    }
    runner, args = op.prepare(context)
    assert runner == "docker"
    assert args == ["games", "--as-of", "2025-01-20", "--from", "2025-01-10", "--to", "2025-01-20"]
    assert op.command == args
    assert op.image == "hoopcast/ingestion:t1"
    assert op.environment["HOOPCAST_DB"] == "/data/hoopcast.duckdb"
    assert op._private_environment == {"ESPN_API_TOKEN": "s3cret-token"}
    assert op.nano_cpus == 500_000_000 and op.mem_limit == "256m" and op.cpus == 0.5
    assert op.network_mode == "hoopcast-test-net"


def test_training_window_params_reach_the_dataset_step(env_dir: Path) -> None:
    stage = MODEL_TRAINING.task("prepare_dataset")
    op = HoopcastStageOperator(task_id="prepare_dataset", stage=stage)
    _, args = op.prepare(
        {"params": {"profile": "replay", "train_until": "2024-12-31", "validate_from": "20250101"}}
    )
    assert args == [
        "dataset",
        "--as-of",
        "2026-02-07",  # the replay profile's pinned logical date
        "--train-until",
        "2024-12-31",
        "--validate-from",
        "2025-01-01",
    ]


def test_bad_params_fail_without_retry(env_dir: Path) -> None:
    op = HoopcastStageOperator(task_id="collect_games", stage=DATA_COLLECTION.task("collect_games"))
    with pytest.raises(AirflowFailException, match="date_from"):
        op.execute(
            {"params": {"profile": "replay", "date_from": "2025-02-10", "date_to": "2025-01-01"}}
        )
    with pytest.raises(AirflowFailException, match="staging"):
        op.execute({"params": {"profile": "staging"}})
    with pytest.raises(AirflowFailException, match="as_of"):
        op.execute({"params": {"profile": "replay", "as_of": "next tuesday"}})


def test_a_pinned_game_day_wins_and_leaves_now_to_the_stage() -> None:
    moment = dt.datetime(2025, 3, 1, 10, tzinfo=dt.UTC)
    pinned = {"HOOPCAST_AS_OF": "2026-02-07"}
    assert resolve_clock({"as_of": "2025-01-02"}, pinned, moment) == RunClock(
        dt.date(2025, 1, 2), None
    )
    assert resolve_clock({}, pinned, moment) == RunClock(dt.date(2026, 2, 7), None)
    assert resolve_clock({}, {}, moment) == RunClock(dt.date(2025, 3, 1), moment)


@pytest.mark.parametrize(
    ("logical", "game_day"),
    [
        (dt.datetime(2026, 2, 7, 10, 0, tzinfo=dt.UTC), "2026-02-07"),  # 05:00 EST
        (dt.datetime(2026, 2, 8, 3, 30, tzinfo=dt.UTC), "2026-02-07"),  # 22:30 EST the day before
        (dt.datetime(2026, 3, 9, 3, 30, tzinfo=dt.UTC), "2026-03-08"),  # 23:30 EDT
    ],
)
def test_the_tasks_run_on_the_game_day_of_the_logical_time(  # type: ignore[no-untyped-def]
    dagbag, env_dir: Path, logical: dt.datetime, game_day: str
) -> None:
    context = {"params": {"profile": "local"}, "logical_date": logical}
    now = logical.isoformat()
    collect = dagbag.dags["data_collection"].get_task("collect_games")
    assert collect.prepare(context)[1] == ["games", "--as-of", game_day, "--now", now]
    predict = dagbag.dags["prediction"].get_task("generate_preds")
    assert predict.prepare(context)[1] == [
        "predict",
        "--days",
        "7",
        "--stage-only",
        "--as-of",
        game_day,
        "--now",
        now,
    ]
    evaluate = dagbag.dags["hoopcast_pipeline"].get_task("prediction.evaluate_preds")
    assert evaluate.prepare(context)[1] == ["evaluate", "--as-of", game_day]


def test_the_documented_daily_run(env_dir: Path) -> None:
    context = {
        "params": {"profile": "local"},
        "logical_date": dt.datetime(2026, 2, 7, 10, tzinfo=dt.UTC),
    }
    store = HoopcastStageOperator(task_id="store_preds", stage=PREDICTION.task("store_preds"))
    assert "generate_preds" in store.xcom_values["--batch-id"]
    store.xcom_values = {"--batch-id": "b-1"}  # as rendered from generate_preds' summary
    assert store.prepare(context)[1] == [
        "store",
        "--as-of",
        "2026-02-07",
        "--now",
        "2026-02-07T10:00:00+00:00",
        "--batch-id",
        "b-1",
    ]


def test_an_id_missing_from_the_upstream_summary_fails_without_retry(env_dir: Path) -> None:
    stage = MODEL_TRAINING.task("train_model")
    op = HoopcastStageOperator(task_id="train_model", stage=stage)
    op.xcom_values = {"--run-id": ""}  # rendered: prepare_dataset pushed no training_run_id
    with pytest.raises(AirflowFailException, match=r"no 'training_run_id'.*prepare_dataset"):
        op.execute({"params": {"profile": "replay"}})
    op.xcom_values = {"--run-id": "tr_1"}
    assert op.prepare({"params": {"profile": "replay"}})[1] == [
        "fit",
        "--as-of",
        "2026-02-07",
        "--run-id",
        "tr_1",
    ]


# --- real containers -------------------------------------------------------------------------


def docker_available() -> str | None:
    """None when `docker info` works, else the reason to skip."""
    if shutil.which("docker") is None:
        return "no docker CLI on this machine"
    result = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=30)
    return None if result.returncode == 0 else f"no reachable Docker engine: {result.stderr[-200:]}"


@pytest.fixture(scope="module")
def fake_stage_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway image FROM scratch whose entrypoint is the static fake stage binary."""
    reason = docker_available()
    if reason:
        pytest.skip(reason)
    if shutil.which("gcc") is None:
        pytest.skip("gcc is needed to build the static fake stage binary")
    build = tmp_path_factory.mktemp("fake-stage-image")
    compiled = subprocess.run(
        [
            "gcc",
            "-static",
            "-O2",
            "-o",
            str(build / "stage"),
            str(HERE / "fake_stage" / "fake_stage.c"),
        ],
        capture_output=True,
        text=True,
    )
    if compiled.returncode != 0:
        pytest.skip(f"cannot build a static binary here: {compiled.stderr[-300:]}")
    (build / "Dockerfile").write_text('FROM scratch\nCOPY stage /stage\nENTRYPOINT ["/stage"]\n')
    tag = f"hoopcast/ingestion:airflow-test-{uuid.uuid4().hex[:10]}"
    subprocess.run(
        ["docker", "build", "-q", "-t", tag, str(build)], check=True, capture_output=True
    )
    yield tag
    subprocess.run(["docker", "rmi", "-f", tag], capture_output=True)


def run_in_thread(
    op: HoopcastStageOperator, context: dict[str, Any]
) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = op.execute(context)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, outcome


def inspect_labelled(label: str, timeout_s: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ids = subprocess.run(
            ["docker", "ps", "-q", "--filter", f"label=hoopcast.test={label}"],
            capture_output=True,
            text=True,
        ).stdout.split()
        if ids:
            out = subprocess.run(["docker", "inspect", ids[0]], capture_output=True, text=True)
            if out.returncode == 0:
                return dict(json.loads(out.stdout)[0])
        time.sleep(0.2)
    raise AssertionError(f"no running container labelled hoopcast.test={label}")


@pytest.fixture
def docker_env(
    env_dir: Path, fake_stage_image: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    airflow_env = env_dir / "replay" / "airflow.env"
    text = airflow_env.read_text().replace(
        "HOOPCAST_IMAGE_TAG=t1", f"HOOPCAST_IMAGE_TAG={fake_stage_image.split(':')[1]}"
    )
    text = text.replace("HOOPCAST_DOCKER_NETWORK=hoopcast-test-net\n", "")
    volume = f"hoopcast-airflow-test-{uuid.uuid4().hex[:8]}"
    airflow_env.write_text(text.replace("hoopcast-test-data", volume))
    yield env_dir
    subprocess.run(["docker", "volume", "rm", "-f", volume], capture_output=True)


def set_fake_exit(env_dir: Path, code: int, sleep_ms: int) -> None:
    (env_dir / "replay" / "ingestion.env").write_text(
        f"ESPN_API_TOKEN=s3cret-token\nFAKE_EXIT={code}\nFAKE_SLEEP_MS={sleep_ms}\n"
    )


@pytest.mark.docker
def test_real_container_limits_env_and_summary(docker_env: Path) -> None:
    label = uuid.uuid4().hex
    op = HoopcastStageOperator(
        task_id="collect_teams",
        stage=DATA_COLLECTION.task("collect_teams"),
        labels={"hoopcast.test": label},
    )
    thread, outcome = run_in_thread(op, {"params": {"profile": "replay", "as_of": "2025-01-20"}})
    info = inspect_labelled(label)
    thread.join(timeout=120)
    host = info["HostConfig"]
    assert host["NanoCpus"] == 500_000_000  # hard cap: 0.5 CPU
    assert host["CpuShares"] == 512
    assert host["Memory"] == 256 * 1024 * 1024
    mounts = [(m["Type"], m["Destination"]) for m in info["Mounts"]]
    assert ("volume", "/data") in mounts
    env = info["Config"]["Env"]
    assert "HOOPCAST_DB=/data/hoopcast.duckdb" in env and "HOOPCAST_ENV=replay" in env
    assert info["Config"]["Cmd"] == ["teams", "--as-of", "2025-01-20"]
    assert "error" not in outcome, outcome.get("error")
    summary = outcome["result"]
    assert summary["exit_code"] == 0 and summary["counts"] == {"args": 3}
    assert summary["db"] == "/data/hoopcast.duckdb" and summary["has_secret"] is True
    # auto_remove="success": the container is gone afterwards
    left = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label=hoopcast.test={label}"],
        capture_output=True,
        text=True,
    )
    assert left.stdout.strip() == ""


@pytest.mark.docker
@pytest.mark.parametrize(
    ("code", "expected"),
    [(99, AirflowSkipException), (2, AirflowFailException), (3, AirflowException)],
)
def test_real_container_exit_codes(docker_env: Path, code: int, expected: type[Exception]) -> None:
    set_fake_exit(docker_env, code, 0)
    op = HoopcastStageOperator(task_id="collect_stats", stage=DATA_COLLECTION.task("collect_stats"))
    with pytest.raises(expected) as info:
        op.execute({"params": {"profile": "replay", "as_of": "2025-01-20"}})
    if code == 3:  # retryable: not a skip and not a fail-without-retry
        assert not isinstance(info.value, AirflowFailException | AirflowSkipException)
