"""The stage operator: one task = one run of a stage CLI subcommand.

:class:`HoopcastStageOperator` is a ``DockerOperator`` (apache-airflow-providers-docker 4.x)
that runs ``hoopcast/<service>`` with the catalog's command, limits and the env profile's
settings, or — with ``HOOPCAST_RUNNER=local`` — the same command as the stage's console
script in a subprocess. Either way the stage's last stdout line (the JSON run summary of
:func:`hoopcast_common.runs.run_stage`) is the task's return value (XCom), exit code 99
skips the task, exit code 2 (bad input) fails it without retrying, and any other non-zero
exit fails it with retries (3: upstream unavailable or the warehouse busy).

The run's clock (:func:`resolve_clock`): the game day ``--as-of`` is the US Eastern date of
the run's logical time (:func:`hoopcast_common.games.game_day`) and ``--now`` that moment
(unless a run or profile pins the game day).
Ids a task works on come from the previous task's run summary through templated XCom
(:attr:`HoopcastStageOperator.xcom_values`, rendered by Airflow before the task runs).

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
    ConfigError,
    HoopcastError,
)
from hoopcast_common.games import game_day
from hoopcast_common.runs import last_json_line
from hoopcast_common.settings import load_settings, project_root

from hoopcast_airflow.catalog import ASSETS, CONSOLE_SCRIPTS, TaskSpec
from hoopcast_airflow.config import (
    CONTAINER_DATA_DIR,
    CONTAINER_DB,
    CONTAINER_MODEL_DIR,
    FORWARDED_ENV,
    SECRET_NAME,
    Runner,
    airflow_settings,
    console_script,
    data_volume,
    docker_url,
    image_for,
    resolve_profile,
    resources_for,
    runner_mode,
    stage_credentials,
    stage_process_env,
)


@dataclass(frozen=True)
class ContainerSpec:
    """Everything the Docker engine is asked for one stage task.

    ``command`` is the argument list after the image's ENTRYPOINT (the console script);
    ``cpus`` is both the CPU share (``cpu_shares = cpus x 1024``) and the hard cap
    (``nano_cpus = cpus x 10^9``); ``mem_limit`` a Docker size string; ``mounts`` the named
    data volume at ``/data`` (none without a data volume); ``network`` the Docker network to
    join or None.
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


@dataclass(frozen=True)
class RunClock:
    """The clock of one DAG run: ``as_of`` its game day (a US Eastern date) and ``now`` the
    moment (aware, UTC) it forecasts from (``--now`` of the predictor), or None when the game
    day is pinned and the predictor's own default applies."""

    as_of: dt.date
    now: dt.datetime | None


def resolve_clock(
    params: Mapping[str, Any], stage_values: Mapping[str, str | None], moment: dt.datetime | None
) -> RunClock:
    """The clock of a task.

    A pinned game day (the run's ``as_of`` param, else ``HOOPCAST_AS_OF`` of the stage's
    profile: the replay profile pins it to the replay clock) gives ``as_of`` = that date and
    no ``now``: the predictor then takes its own default for that game day (``HOOPCAST_NOW``,
    ...). Otherwise ``moment`` (the run's logical time, see :func:`run_moment`; the current
    time when None) gives ``now`` = ``moment`` and ``as_of`` = its US Eastern date
    (:func:`hoopcast_common.games.game_day`).

    Raises:
        BadInputError: the param or setting is not a ``YYYY-MM-DD`` date.
    """
    if params.get("as_of"):
        return RunClock(as_of=parse_date(str(params["as_of"]), "params.as_of"), now=None)
    if stage_values.get("HOOPCAST_AS_OF"):
        return RunClock(
            as_of=parse_date(str(stage_values["HOOPCAST_AS_OF"]), "HOOPCAST_AS_OF"), now=None
        )
    now = moment if moment is not None else dt.datetime.now(dt.UTC)
    now = dt.datetime.fromtimestamp(now.timestamp(), dt.UTC)
    return RunClock(as_of=game_day(now), now=now)


def build_args(
    spec: TaskSpec,
    clock: RunClock,
    params: Mapping[str, Any],
    xcom_values: Mapping[str, str] | None = None,
) -> list[str]:
    """CLI arguments of a stage task: the catalog command, ``--as-of``, ``--now`` for tasks
    that take it (when the clock has one), ids from upstream run summaries, and a backfill
    range.

    A run's ``date_from``/``date_to`` params become ``--from``/``--to`` for tasks whose
    command takes a date range (``date_to`` defaults to ``as_of``); the task's
    ``param_options`` pass further date params (e.g. ``train_until`` → ``--train-until``);
    ``xcom_values`` maps each of the task's ``xcom_options`` to its rendered value.

    Raises:
        BadInputError: a date param is malformed, ``date_from`` is after ``date_to``, or an
            upstream id is missing (names the option, the upstream task and the key).
    """
    args = [*spec.command, "--as-of", clock.as_of.isoformat()]
    if spec.takes_now and clock.now is not None:
        args += ["--now", clock.now.isoformat()]
    values = xcom_values or {}
    for option, task_id, key in spec.xcom_options:
        value = str(values.get(option) or "").strip()
        if not value or "{{" in value:
            raise BadInputError(
                f"{option}: no {key!r} in the run summary (XCom) of task {task_id} in this DAG run"
            )
        args += [option, value]
    if spec.date_range and params.get("date_from"):
        start = parse_date(str(params["date_from"]), "params.date_from")
        end = (
            parse_date(str(params["date_to"]), "params.date_to")
            if params.get("date_to")
            else clock.as_of
        )
        if start > end:
            raise BadInputError(f"params.date_from={start} is after params.date_to={end}")
        args += ["--from", start.isoformat(), "--to", end.isoformat()]
    for param, option in spec.param_options:
        if params.get(param):
            args += [option, parse_date(str(params[param]), f"params.{param}").isoformat()]
    return args


def xcom_template(task_id: str, key: str) -> str:
    """Jinja template of ``key`` of task ``task_id``'s run summary in the same DAG run
    (empty when the task pushed no summary or the summary lacks the key)."""
    return f"{{{{ (ti.xcom_pull(task_ids='{task_id}') or {{}}).get('{key}') or '' }}}}"


def stage_environment(service: str, profile: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The settings a stage container or pod of ``service`` gets under ``profile``.

    ``env/<profile>/common.env`` + ``env/<profile>/<service>.env`` (via
    :func:`hoopcast_common.settings.load_settings`, without the Airflow process environment),
    then ``HOOPCAST_ENV=<profile>`` and, when set in ``environ`` (the Airflow process
    environment), the names of :data:`FORWARDED_ENV`. Secret-looking names are still in it:
    split them off with :func:`split_secrets`.

    Raises:
        ConfigError: unknown profile.
    """
    stage = load_settings(service, profile=profile, environ={})
    env: dict[str, str] = {k: v for k, v in stage.values.items() if v is not None}
    env["HOOPCAST_ENV"] = profile
    for key in FORWARDED_ENV:
        if environ.get(key):
            env[key] = environ[key]
    return env


def split_secrets(env: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """``(public, secret)``: ``env`` split by whether a name looks secret (:data:`SECRET_NAME`)."""
    secret = {k: v for k, v in env.items() if SECRET_NAME.search(k)}
    return {k: v for k, v in env.items() if k not in secret}, secret


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
    ``HOOPCAST_MODEL_DIR=/data/models`` and, when set in ``environ``, the settings of
    :data:`~hoopcast_airflow.config.FORWARDED_ENV` (ESPN endpoint, DuckLake warehouse, lake
    data path and S3 endpoint, artefacts). Settings whose names look secret
    (:data:`SECRET_NAME`) and the lake credentials
    (:func:`~hoopcast_airflow.config.stage_credentials`, read from ``<NAME>_FILE``) go to
    ``private_environment``. Limits from :func:`hoopcast_airflow.config.resources_for`;
    network from ``HOOPCAST_DOCKER_NETWORK``; volume from
    :func:`~hoopcast_airflow.config.data_volume` (default ``hoopcast-data``; an absolute path
    is a bind-mounted host folder, which the image user, uid 50000 group 0, must be able to
    write; ``none`` or empty: no volume).

    Raises:
        ConfigError: unknown profile, malformed limit settings, or an unreadable credential
            file.
    """
    environ = os.environ if environ is None else environ
    orchestration = load_settings("airflow", profile=profile, environ=environ)
    env = stage_environment(spec.service, profile, environ)
    env.update({"HOOPCAST_DB": CONTAINER_DB, "HOOPCAST_MODEL_DIR": CONTAINER_MODEL_DIR})
    public, private = split_secrets(env)
    private.update(stage_credentials(environ))
    limits = resources_for(spec.service, orchestration)
    volume = data_volume(orchestration)
    mounts = []
    if volume is not None:
        # An absolute path is a host folder (bind mount), e.g. hoopcast-simulate's warehouse.
        mount_type = "bind" if volume.startswith("/") else "volume"
        mounts.append(Mount(target=CONTAINER_DATA_DIR, source=volume, type=mount_type))
    return ContainerSpec(
        image=image_for(spec.service, orchestration),
        command=list(args),
        environment=public,
        private_environment=private,
        mounts=mounts,
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
    profile, the game day and the collection window. Returns the run summary dict
    (XCom ``return_value``); when the task has outlets, the summary is also attached to the
    asset event's ``extra``.

    ``xcom_values`` (a templated field): option → Jinja template of an upstream task's run
    summary key, one per ``stage.xcom_options``; inside a task group the upstream task id
    gets the same group prefix as this task.
    """

    ui_color = "#f0c27b"
    template_fields = (*DockerOperator.template_fields, "xcom_values")

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
        prefix = self.task_id[: len(self.task_id) - len(stage.task_id)]
        self.xcom_values: dict[str, str] = {
            option: xcom_template(prefix + upstream, key)
            for option, upstream, key in stage.xcom_options
        }
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
        profile, runner, args = resolve_run(self.stage, context, self.xcom_values)
        if runner == "kubernetes":
            raise ConfigError(
                f"HOOPCAST_RUNNER=kubernetes in profile {profile!r}, but this DAG was parsed "
                "with the docker/local runner: set HOOPCAST_RUNNER where the DAG processor "
                "parses the DAGs too"
            )
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
        attach_outlet_extra(self.stage, self.dag_id, self.task_id, context, summary)
        return summary

    def _execute_local(self, args: list[str], what: str) -> dict[str, Any]:
        script = console_script(CONSOLE_SCRIPTS[self.stage.service])
        env = stage_process_env(os.environ)  # never Airflow's keys, DB URL or the webhook
        env["HOOPCAST_ENV"] = self.profile or resolve_profile(None)
        env.update(stage_credentials(os.environ))  # the lake's, when Airflow has them
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

    def on_kill(self) -> None:
        """Stop the subprocess (local mode) or the container (docker mode)."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            return
        super().on_kill()


def resolve_run(
    stage: TaskSpec, context: Mapping[str, Any], xcom_values: Mapping[str, str]
) -> tuple[str, Runner, list[str]]:
    """``(profile, runner, args)`` of one run of a stage task.

    The run's ``profile`` param (else ``HOOPCAST_ENV``/local), that profile's
    ``HOOPCAST_RUNNER``, and the CLI arguments (:func:`build_args`) on the run's clock
    (:func:`resolve_clock`); ``xcom_values`` are the task's rendered upstream ids.

    Raises:
        ConfigError: unknown profile or runner. BadInputError: malformed date params, a
            missing upstream id.
    """
    params: Mapping[str, Any] = context.get("params") or {}
    profile = resolve_profile(params.get("profile"))
    runner = runner_mode(airflow_settings(profile))
    stage_values = load_settings(stage.service, profile=profile).values
    clock = resolve_clock(params, stage_values, run_moment(context))
    return profile, runner, build_args(stage, clock, params, xcom_values)


def attach_outlet_extra(
    stage: TaskSpec, dag_id: str, task_id: str, context: Any, summary: Mapping[str, Any]
) -> None:
    """Attach a stage task's run summary (run id, as_of, counts, model version and gate if
    any) to the ``extra`` of the asset events of its outlets; nothing without outlets."""
    if not stage.outlets:
        return
    events = context.get("outlet_events") if hasattr(context, "get") else None
    if events is None:
        return
    extra = {
        "dag_id": dag_id,
        "task_id": task_id,
        "run_id": summary.get("run_id"),
        "as_of": summary.get("as_of"),
        "counts": summary.get("counts", {}),
    }
    for key in ("model_name", "model_version", "gate"):
        if key in summary:
            extra[key] = summary[key]
    for name in stage.outlets:
        events[ASSETS[name]].extra = extra


def _text(line: str | bytes) -> str:
    return line.decode(errors="replace") if isinstance(line, bytes) else line


def run_moment(context: Mapping[str, Any]) -> dt.datetime | None:
    """The run's logical time: its ``logical_date``, or ``run_after`` for runs without one
    (asset-triggered runs); None outside a DAG run."""
    value = context.get("logical_date")
    if isinstance(value, dt.datetime):
        return value
    dag_run = context.get("dag_run")
    run_after = getattr(dag_run, "run_after", None)
    if isinstance(run_after, dt.datetime):
        return run_after
    return None
