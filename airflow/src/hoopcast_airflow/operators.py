"""The stage operator: one task = one run of a stage CLI subcommand.

:class:`HoopcastStageOperator` is a ``DockerOperator`` (apache-airflow-providers-docker 4.x)
that runs ``hoopcast/<service>`` with the catalog's command, limits and the env profile's
settings, or — with ``HOOPCAST_RUNNER=local`` — the same command as the stage's console
script in a subprocess. Either way the stage's last stdout line (the JSON run summary of
:func:`hoopcast_common.runs.run_stage`) is the task's return value (XCom), exit code 99
skips the task, exit code 2 (bad input) fails it without retrying, and any other non-zero
exit fails it with retries.

Hard CPU cap: the provider's ``cpus`` argument only sets ``cpu_shares`` (a relative weight)
and 4.x has no ``nano_cpus`` argument, so the operator wraps the Docker API client and adds
``nano_cpus`` (CPUs x 10^9, Docker's ``--cpus``) to ``create_host_config``.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow.providers.docker.exceptions import DockerContainerFailedException
from airflow.providers.docker.operators.docker import DockerOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException, AirflowSkipException
from docker.types import Mount
from hoopcast_common.dates import parse_date
from hoopcast_common.errors import (
    EXIT_BAD_INPUT,
    EXIT_NOTHING_TO_DO,
    EXIT_OK,
    BadInputError,
    HoopcastError,
)
from hoopcast_common.runs import last_json_line
from hoopcast_common.settings import load_settings, project_root

from hoopcast_airflow.catalog import ASSETS, CONSOLE_SCRIPTS, TaskSpec
from hoopcast_airflow.config import (
    CONTAINER_DATA_DIR,
    CONTAINER_DB,
    CONTAINER_MODEL_DIR,
    DEFAULT_DATA_VOLUME,
    SECRET_NAME,
    airflow_settings,
    console_script,
    docker_url,
    image_for,
    resolve_profile,
    resources_for,
    runner_mode,
    stage_process_env,
)

#: Process-environment settings forwarded into stage containers when set for Airflow.
FORWARDED_ENV = ("ESPN_BASE_URL",)


@dataclass(frozen=True)
class ContainerSpec:
    """Everything the Docker engine is asked for one stage task.

    ``command`` is the argument list after the image's ENTRYPOINT (the console script);
    ``cpus`` is both the CPU share (``cpu_shares = cpus x 1024``) and the hard cap
    (``nano_cpus = cpus x 10^9``); ``mem_limit`` a Docker size string; ``mounts`` the named
    data volume at ``/data``; ``network`` the Docker network to join or None.
    """

    image: str
    command: list[str]
    environment: dict[str, str]
    private_environment: dict[str, str]
    mounts: list[Mount]
    cpus: float
    nano_cpus: int
    mem_limit: str
    network: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def resolve_as_of(
    params: Mapping[str, Any], stage_values: Mapping[str, str | None], run_date: dt.date | None
) -> dt.date:
    """The ``--as-of`` of a task.

    Order: the run's ``as_of`` param (manual runs), then ``HOOPCAST_AS_OF`` of the stage's
    profile (the replay profile pins it to the replay clock), then the run's logical date,
    then today (UTC).

    Raises:
        BadInputError: the param or setting is not a ``YYYY-MM-DD`` date.
    """
    if params.get("as_of"):
        return parse_date(str(params["as_of"]), "params.as_of")
    if stage_values.get("HOOPCAST_AS_OF"):
        return parse_date(str(stage_values["HOOPCAST_AS_OF"]), "HOOPCAST_AS_OF")
    if run_date is not None:
        return run_date
    return dt.datetime.now(dt.UTC).date()


def build_args(spec: TaskSpec, as_of: dt.date, params: Mapping[str, Any]) -> list[str]:
    """CLI arguments of a stage task: the catalog command, ``--as-of`` and a backfill range.

    A run's ``date_from``/``date_to`` params become ``--from``/``--to`` for tasks whose
    command takes a date range (``date_to`` defaults to ``as_of``); the task's
    ``param_options`` pass further date params (e.g. ``train_until`` → ``--train-until``).

    Raises:
        BadInputError: a date param is malformed or ``date_from`` is after ``date_to``.
    """
    args = [*spec.command, "--as-of", as_of.isoformat()]
    if spec.date_range and params.get("date_from"):
        start = parse_date(str(params["date_from"]), "params.date_from")
        end = (
            parse_date(str(params["date_to"]), "params.date_to") if params.get("date_to") else as_of
        )
        if start > end:
            raise BadInputError(f"params.date_from={start} is after params.date_to={end}")
        args += ["--from", start.isoformat(), "--to", end.isoformat()]
    for param, option in spec.param_options:
        if params.get(param):
            args += [option, parse_date(str(params[param]), f"params.{param}").isoformat()]
    return args


def build_container_spec(
    spec: TaskSpec,
    profile: str,
    args: Sequence[str],
    environ: Mapping[str, str] | None = None,
) -> ContainerSpec:
    """The container of a stage task under ``profile``.

    Environment: ``env/<profile>/common.env`` + ``env/<profile>/<service>.env`` (via
    :func:`hoopcast_common.settings.load_settings`, without the Airflow process
    environment), then ``HOOPCAST_ENV``, ``HOOPCAST_DB=/data/hoopcast.duckdb``,
    ``HOOPCAST_MODEL_DIR=/data/models`` and, when set in ``environ``, ``ESPN_BASE_URL``.
    Settings whose names look secret (:data:`SECRET_NAME`) go to ``private_environment``.
    Limits from :func:`hoopcast_airflow.config.resources_for`; network from
    ``HOOPCAST_DOCKER_NETWORK``; volume from ``HOOPCAST_DATA_VOLUME`` (default
    ``hoopcast-data``).

    Raises:
        ConfigError: unknown profile or malformed limit settings.
    """
    environ = os.environ if environ is None else environ
    orchestration = load_settings("airflow", profile=profile, environ=environ)
    stage = load_settings(spec.service, profile=profile, environ={})
    env: dict[str, str] = {k: v for k, v in stage.values.items() if v is not None}
    env.update(
        {
            "HOOPCAST_ENV": profile,
            "HOOPCAST_DB": CONTAINER_DB,
            "HOOPCAST_MODEL_DIR": CONTAINER_MODEL_DIR,
        }
    )
    for key in FORWARDED_ENV:
        if environ.get(key):
            env[key] = environ[key]
    private = {k: v for k, v in env.items() if SECRET_NAME.search(k)}
    public = {k: v for k, v in env.items() if k not in private}
    limits = resources_for(spec.service, orchestration)
    volume = orchestration.get("HOOPCAST_DATA_VOLUME") or DEFAULT_DATA_VOLUME
    return ContainerSpec(
        image=image_for(spec.service, orchestration),
        command=list(args),
        environment=public,
        private_environment=private,
        mounts=[Mount(target=CONTAINER_DATA_DIR, source=volume, type="volume")],
        cpus=limits.cpus,
        nano_cpus=round(limits.cpus * 1_000_000_000),
        mem_limit=limits.memory,
        network=orchestration.get("HOOPCAST_DOCKER_NETWORK") or None,
    )


def summary_outcome(exit_code: int, output: str, what: str) -> dict[str, Any]:
    """Map a finished stage run to the task outcome; returns the parsed run summary.

    Raises:
        AirflowSkipException: exit 99 (nothing to do).
        AirflowFailException: exit 2 (bad input or configuration; retrying cannot help).
        AirflowException: any other non-zero exit (retried), or exit 0 without a summary.
    """
    try:
        summary = last_json_line(output)
    except ValueError:
        summary = {}
    if exit_code == EXIT_OK:
        if not summary:
            raise AirflowException(f"{what} exited 0 but printed no JSON run summary")
        return summary
    error = summary.get("error") or "see the task log"
    if exit_code == EXIT_NOTHING_TO_DO:
        raise AirflowSkipException(f"{what}: nothing to do ({error})")
    if exit_code == EXIT_BAD_INPUT:
        raise AirflowFailException(f"{what} rejected its input (exit 2): {error}")
    raise AirflowException(f"{what} failed with exit code {exit_code}: {error}")


class _NanoCpusClient:
    """Docker ``APIClient`` proxy adding ``nano_cpus`` to every ``create_host_config`` call."""

    def __init__(self, client: Any, nano_cpus: int) -> None:
        self._client = client
        self._nano_cpus = nano_cpus

    def create_host_config(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("nano_cpus", self._nano_cpus)
        return self._client.create_host_config(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


class HoopcastStageOperator(DockerOperator):
    """Run one stage CLI subcommand of the catalog, in Docker or as a local subprocess.

    Args:
        stage: the catalog :class:`~hoopcast_airflow.catalog.TaskSpec` (must not be a sensor).
        **kwargs: BaseOperator arguments (retries, pool, execution_timeout, callbacks...).

    The run's params ``profile``, ``as_of``, ``date_from``, ``date_to`` override the env
    profile, the logical date and the collection window. Returns the run summary dict
    (XCom ``return_value``); when the task has outlets, the summary is also attached to the
    asset event's ``extra``.
    """

    ui_color = "#f0c27b"

    def __init__(self, *, stage: TaskSpec, **kwargs: Any) -> None:
        if stage.sensor is not None:
            raise ValueError(f"task {stage.task_id} is a check task, not a stage command")
        settings = airflow_settings()
        limits = resources_for(stage.service, settings)
        kwargs.setdefault("outlets", [ASSETS[name] for name in stage.outlets])
        kwargs.setdefault("trigger_rule", stage.trigger_rule)
        super().__init__(
            image=image_for(stage.service, settings),
            docker_url=docker_url(settings),
            command=list(stage.command),
            cpus=limits.cpus,
            mem_limit=limits.memory,
            auto_remove="success",
            mount_tmp_dir=False,
            skip_on_exit_code=EXIT_NOTHING_TO_DO,
            xcom_all=True,
            **kwargs,
        )
        self.stage = stage
        self.nano_cpus = round(limits.cpus * 1_000_000_000)
        self.runner: str | None = None
        self.profile: str | None = None
        self.container_spec: ContainerSpec | None = None
        self._process: subprocess.Popen[str] | None = None

    @property
    def cli(self) -> Any:
        """The provider's Docker API client, with the hard CPU cap added to host configs."""
        return _NanoCpusClient(self.hook.api_client, self.nano_cpus)

    def prepare(self, context: Mapping[str, Any]) -> tuple[str, list[str]]:
        """Resolve the run's profile, runner and CLI arguments; in docker mode set the spec.

        Returns ``(runner, args)``. Raises ConfigError/BadInputError for bad params.
        """
        params: Mapping[str, Any] = context.get("params") or {}
        profile = resolve_profile(params.get("profile"))
        settings = airflow_settings(profile)
        runner = runner_mode(settings)
        stage_values = load_settings(self.stage.service, profile=profile).values
        as_of = resolve_as_of(params, stage_values, run_date(context))
        args = build_args(self.stage, as_of, params)
        self.runner = runner
        self.profile = profile
        if runner == "docker":
            spec = build_container_spec(self.stage, profile, args)
            self.container_spec = spec
            self.image = spec.image
            self.command = spec.command
            self.environment = dict(spec.environment)
            self._private_environment = dict(spec.private_environment)
            self.mounts = list(spec.mounts)
            self.cpus = spec.cpus
            self.nano_cpus = spec.nano_cpus
            self.mem_limit = spec.mem_limit
            self.network_mode = spec.network
        return runner, args

    def execute(self, context: Any) -> dict[str, Any]:  # type: ignore[override]
        """Run the stage command; returns its JSON run summary (pushed to XCom)."""
        try:
            runner, args = self.prepare(context)
        except HoopcastError as exc:
            raise AirflowFailException(f"{self.task_id}: {exc}") from exc
        what = f"{CONSOLE_SCRIPTS[self.stage.service]} {' '.join(args)}"
        if runner == "local":
            summary = self._execute_local(args, what)
        else:
            try:
                lines = super().execute(context)
            except DockerContainerFailedException as exc:
                output = "\n".join(_text(line) for line in (exc.logs or []))
                try:
                    code = int(last_json_line(output).get("exit_code", 1))
                except ValueError:
                    code = 1
                summary_outcome(code, output, what)
                raise
            output = "\n".join(_text(line) for line in (lines or []))
            summary = summary_outcome(EXIT_OK, output, what)
        self._attach_outlet_extra(context, summary)
        return summary

    def _execute_local(self, args: list[str], what: str) -> dict[str, Any]:
        script = console_script(CONSOLE_SCRIPTS[self.stage.service])
        env = stage_process_env(os.environ)  # never Airflow's keys, DB URL or the webhook
        env["HOOPCAST_ENV"] = self.profile or resolve_profile(None)
        self.log.info("running %s %s (local mode)", script, " ".join(args))
        lines: list[str] = []
        self._process = subprocess.Popen(
            [str(script), *args],
            cwd=project_root(),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self._process.stdout is not None
        for line in self._process.stdout:
            lines.append(line.rstrip("\n"))
            self.log.info("%s", lines[-1])
        code = self._process.wait()
        self._process = None
        return summary_outcome(code, "\n".join(lines), what)

    def _attach_outlet_extra(self, context: Any, summary: Mapping[str, Any]) -> None:
        if not self.stage.outlets:
            return
        events = context.get("outlet_events") if hasattr(context, "get") else None
        if events is None:
            return
        extra = {
            "dag_id": self.dag_id,
            "task_id": self.task_id,
            "run_id": summary.get("run_id"),
            "as_of": summary.get("as_of"),
            "counts": summary.get("counts", {}),
        }
        for key in ("model_name", "model_version", "gate"):
            if key in summary:
                extra[key] = summary[key]
        for name in self.stage.outlets:
            events[ASSETS[name]].extra = extra

    def on_kill(self) -> None:
        """Stop the subprocess (local mode) or the container (docker mode)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            return
        super().on_kill()


def _text(line: str | bytes) -> str:
    return line.decode(errors="replace") if isinstance(line, bytes) else line


def run_date(context: Mapping[str, Any]) -> dt.date | None:
    """The run's logical date (or ``run_after`` for runs without one) of a task context."""
    value = context.get("logical_date")
    if isinstance(value, dt.datetime):
        return value.date()
    dag_run = context.get("dag_run")
    run_after = getattr(dag_run, "run_after", None)
    if isinstance(run_after, dt.datetime):
        return run_after.date()
    return None
