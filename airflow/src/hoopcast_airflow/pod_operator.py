"""The kubernetes runner (``HOOPCAST_RUNNER=kubernetes``): one stage task = one pod.

:class:`HoopcastPodOperator` is a ``KubernetesPodOperator``
(apache-airflow-providers-cncf-kubernetes 10.x) built from the same catalog
:class:`~hoopcast_airflow.catalog.TaskSpec` as the Docker runner's
:class:`~hoopcast_airflow.operators.HoopcastStageOperator`, with the same run-time resolution
(:func:`~hoopcast_airflow.operators.resolve_run`: profile, clock, ``--as-of``/``--now``,
upstream ids from XCom, backfill and training windows):

* image ``[<HOOPCAST_IMAGE_REGISTRY>/]hoopcast/<service>:<HOOPCAST_IMAGE_TAG>``, no ``command``
  (the image's ENTRYPOINT is the stage's console script) and ``args`` = the Docker runner's
  container command;
* container ``resources``: requests = limits = the catalog's CPUs and memory (with the
  profile's ``HOOPCAST_CPUS_<SERVICE>``/``HOOPCAST_MEMORY_<SERVICE>``), so a stage pod is in
  the Guaranteed QoS class and gets the same hard caps as its container;
* environment: the profile's settings as plain variables (as in the container), every
  secret-looking setting as a ``secretKeyRef`` to the Secret ``HOOPCAST_K8S_SECRET`` (key =
  the setting's name; never its value), the Secrets ``HOOPCAST_K8S_ENV_FROM_SECRETS`` as
  ``envFrom``; the warehouse as ``HOOPCAST_WAREHOUSE`` and the artefact store as
  ``HOOPCAST_ARTIFACTS`` when set, else ``HOOPCAST_DB=/data/hoopcast.duckdb`` and
  ``HOOPCAST_MODEL_DIR=/data/models`` on the PersistentVolumeClaim ``HOOPCAST_K8S_DATA_CLAIM``
  mounted at ``/data``;
* the images' non-root user (uid 50000, group 0; ``fsGroup`` 0 for the claim);
* namespace, service account (its API token not mounted: the stages call no Kubernetes API),
  image pull Secrets and cluster access from
  :func:`hoopcast_airflow.config.kubernetes_settings` (in-cluster config by default).

Outcome, as with the Docker runner (:func:`~hoopcast_airflow.operators.summary_outcome` on the
base container's exit code and log): exit 0 → the last JSON line of the log is the run
summary, pushed as XCom ``return_value``; 99 → skipped (``skip_on_exit_code``); 2 → failed
without retry; anything else (3: upstream unavailable or warehouse busy) → failed, retried.
The pod is deleted when it ends (``on_finish_action="delete_pod"``); the task runs in the
worker (not deferred) so that the summary is read from the pod's log before that.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from airflow.providers.cncf.kubernetes.operators.pod import KubernetesPodOperator
from airflow.sdk.exceptions import AirflowException, AirflowFailException
from docker.errors import DockerException
from docker.utils import parse_bytes
from hoopcast_common.errors import EXIT_NOTHING_TO_DO, ConfigError, HoopcastError
from hoopcast_common.settings import load_settings
from kubernetes.client import models as k8s
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from hoopcast_airflow.catalog import ASSETS, CONSOLE_SCRIPTS, TaskSpec
from hoopcast_airflow.config import (
    CONTAINER_DATA_DIR,
    CONTAINER_DB,
    CONTAINER_MODEL_DIR,
    image_for,
    kubernetes_settings,
    resolve_profile,
    resources_for,
)
from hoopcast_airflow.operators import (
    attach_outlet_extra,
    resolve_run,
    split_secrets,
    stage_environment,
    summary_outcome,
    xcom_template,
)

#: Name of the pod volume backed by the data claim (mounted at ``/data``).
DATA_VOLUME_NAME = "hoopcast-data"

#: The stage images' user (uid 50000, group 0; docker/base/Dockerfile); ``fs_group`` 0 makes
#: the data claim group-writable for it.
STAGE_SECURITY_CONTEXT = k8s.V1PodSecurityContext(
    run_as_user=50000, run_as_group=0, run_as_non_root=True, fs_group=0
)

#: Log lines read back from a finished pod to find its run summary (the last JSON line).
SUMMARY_TAIL_LINES = 200

_BINARY_UNITS = (("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024))


def cpu_quantity(cpus: float) -> str:
    """A CPU count as a Kubernetes quantity: whole CPUs as ``"2"``, else millicores
    (``0.5`` → ``"500m"``; rounded to the millicore, Kubernetes' finest CPU unit).

    Raises:
        ConfigError: ``cpus`` is below one millicore.
    """
    millicores = round(cpus * 1000)
    if millicores < 1:
        raise ConfigError(f"CPU limit {cpus} is below Kubernetes' smallest unit (0.001)")
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def memory_quantity(memory: str) -> str:
    """A Docker memory size (``1g``, ``256m``, ``512k``, bytes; binary units, as
    ``docker run --memory``) as a Kubernetes quantity in the largest whole binary unit
    (``1g`` → ``"1Gi"``, ``256m`` → ``"256Mi"``, ``1500`` → ``"1500"`` bytes).

    Raises:
        ConfigError: ``memory`` is not a Docker size (parsed by ``docker.utils.parse_bytes``).
    """
    try:
        size = int(parse_bytes(memory))
    except DockerException as exc:
        raise ConfigError(f"memory limit {memory!r} is not a Docker size: {exc}") from exc
    if size <= 0:
        raise ConfigError(f"memory limit {memory!r} must be positive")
    for unit, factor in _BINARY_UNITS:
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


@dataclass(frozen=True)
class PodSpec:
    """Everything the Kubernetes API is asked for one stage task's pod.

    ``arguments`` is the container's ``args`` (after the image's ENTRYPOINT); ``env`` plain
    values and ``secretKeyRef`` references, sorted by name; ``resources`` requests = limits.
    """

    image: str
    arguments: list[str]
    env: list[k8s.V1EnvVar]
    env_from: list[k8s.V1EnvFromSource]
    resources: k8s.V1ResourceRequirements
    volumes: list[k8s.V1Volume]
    volume_mounts: list[k8s.V1VolumeMount]
    namespace: str
    service_account: str
    in_cluster: bool
    image_pull_secrets: list[k8s.V1LocalObjectReference]


def build_pod_spec(
    spec: TaskSpec, profile: str, args: Sequence[str], environ: Mapping[str, str] | None = None
) -> PodSpec:
    """The pod of a stage task under ``profile`` running the CLI arguments ``args``.

    ``environ`` is the Airflow process environment (default ``os.environ``): it overrides the
    ``airflow`` service's settings and forwards ``ESPN_BASE_URL``, as for containers.

    Raises:
        ConfigError: unknown profile, malformed limit or kubernetes settings.
    """
    environ = os.environ if environ is None else environ
    orchestration = load_settings("airflow", profile=profile, environ=environ)
    kube = kubernetes_settings(orchestration)
    env = stage_environment(spec.service, profile, environ)
    if kube.warehouse:
        env.pop("HOOPCAST_DB", None)
        env["HOOPCAST_WAREHOUSE"] = kube.warehouse
    else:
        env["HOOPCAST_DB"] = CONTAINER_DB
    if kube.artifacts:
        env.pop("HOOPCAST_MODEL_DIR", None)
        env["HOOPCAST_ARTIFACTS"] = kube.artifacts
    else:
        env["HOOPCAST_MODEL_DIR"] = CONTAINER_MODEL_DIR
    public, secret = split_secrets(env)
    env_vars = [k8s.V1EnvVar(name=name, value=value) for name, value in public.items()]
    env_vars += [
        k8s.V1EnvVar(
            name=name,
            value_from=k8s.V1EnvVarSource(
                secret_key_ref=k8s.V1SecretKeySelector(
                    name=kube.secret, key=name, optional=not value
                )
            ),
        )
        for name, value in secret.items()
    ]
    env_vars.sort(key=lambda var: var.name)
    limits = resources_for(spec.service, orchestration)
    quantities = {"cpu": cpu_quantity(limits.cpus), "memory": memory_quantity(limits.memory)}
    files = kube.warehouse is None or kube.artifacts is None
    volumes = (
        [
            k8s.V1Volume(
                name=DATA_VOLUME_NAME,
                persistent_volume_claim=k8s.V1PersistentVolumeClaimVolumeSource(
                    claim_name=kube.data_claim
                ),
            )
        ]
        if files
        else []
    )
    mounts = (
        [k8s.V1VolumeMount(name=DATA_VOLUME_NAME, mount_path=CONTAINER_DATA_DIR)] if files else []
    )
    return PodSpec(
        image=image_for(spec.service, orchestration),
        arguments=list(args),
        env=env_vars,
        env_from=[
            k8s.V1EnvFromSource(secret_ref=k8s.V1SecretEnvSource(name=name))
            for name in kube.env_from_secrets
        ],
        resources=k8s.V1ResourceRequirements(requests=dict(quantities), limits=dict(quantities)),
        volumes=volumes,
        volume_mounts=mounts,
        namespace=kube.namespace,
        service_account=kube.service_account,
        in_cluster=kube.in_cluster,
        image_pull_secrets=[k8s.V1LocalObjectReference(name=n) for n in kube.image_pull_secrets],
    )


def container_exit_code(pod: k8s.V1Pod | None, container: str) -> int | None:
    """Exit code of ``container`` in a finished ``pod`` (from the API's pod status), or None
    when it never terminated (image not pulled, pod deleted, ...)."""
    status = pod.status if pod is not None else None
    for item in (status.container_statuses if status is not None else None) or []:
        if item.name == container and item.state is not None and item.state.terminated:
            return int(item.state.terminated.exit_code)
    return None


def pod_outcome(pod: k8s.V1Pod | None, container: str, output: str, what: str) -> dict[str, Any]:
    """The task outcome of a finished stage pod, as for a container
    (:func:`hoopcast_airflow.operators.summary_outcome` on ``container``'s exit code and its
    log ``output``); returns the run summary.

    Raises:
        AirflowSkipException: exit 99. AirflowFailException: exit 2 (no retry).
        AirflowException: any other exit, no exit code, or exit 0 without a summary.
    """
    code = container_exit_code(pod, container)
    if code is None:
        raise AirflowException(f"{what}: the stage container did not run to an exit code")
    return summary_outcome(code, output, what)


class HoopcastPodOperator(KubernetesPodOperator):
    """Run one stage CLI subcommand of the catalog in a Kubernetes pod.

    Args:
        stage: the catalog :class:`~hoopcast_airflow.catalog.TaskSpec` (must not be a sensor).
        **kwargs: BaseOperator arguments (retries, pool, execution_timeout, callbacks...).

    The pod is described at parse time from the default profile and the catalog command; at
    run time :meth:`prepare` resolves the run's profile and CLI arguments and sets the pod's
    image, args, environment, resources, volumes, namespace and service account, which
    ``build_pod_request_obj`` then turns into the ``V1Pod``. Returns the run summary dict
    (XCom ``return_value``); with outlets, the summary is also the asset event's ``extra``.

    ``xcom_values`` (a templated field): option → Jinja template of an upstream task's run
    summary key, exactly as :class:`~hoopcast_airflow.operators.HoopcastStageOperator`.
    """

    ui_color = "#9fc5e8"
    template_fields = (*KubernetesPodOperator.template_fields, "xcom_values")

    def __init__(self, *, stage: TaskSpec, **kwargs: Any) -> None:
        if stage.sensor is not None:
            raise ValueError(f"task {stage.task_id} is a check task, not a stage command")
        pod = build_pod_spec(stage, resolve_profile(None), list(stage.command))
        kwargs.setdefault("outlets", [ASSETS[name] for name in stage.outlets])
        kwargs.setdefault("trigger_rule", stage.trigger_rule)
        super().__init__(
            image=pod.image,
            arguments=pod.arguments,
            env_vars=pod.env,
            env_from=pod.env_from,
            container_resources=pod.resources,
            volumes=pod.volumes,
            volume_mounts=pod.volume_mounts,
            namespace=pod.namespace,
            service_account_name=pod.service_account,
            automount_service_account_token=False,  # the stages call no Kubernetes API
            security_context=STAGE_SECURITY_CONTEXT,
            in_cluster=pod.in_cluster,
            image_pull_secrets=pod.image_pull_secrets,
            labels={"app.kubernetes.io/part-of": "hoopcast", "hoopcast/service": stage.service},
            skip_on_exit_code=EXIT_NOTHING_TO_DO,
            get_logs=True,
            do_xcom_push=False,
            deferrable=False,
            on_finish_action="delete_pod",
            **kwargs,
        )
        self.stage = stage
        prefix = self.task_id[: len(self.task_id) - len(stage.task_id)]
        self.xcom_values: dict[str, str] = {
            option: xcom_template(prefix + upstream, key)
            for option, upstream, key in stage.xcom_options
        }
        self.profile: str | None = None
        self.pod_spec: PodSpec | None = None
        self.summary: dict[str, Any] | None = None
        self.what = CONSOLE_SCRIPTS[stage.service]

    def prepare(self, context: Mapping[str, Any]) -> list[str]:
        """Resolve the run's profile and CLI arguments and set this run's pod; returns the args.

        Raises:
            ConfigError: the run's profile does not select ``HOOPCAST_RUNNER=kubernetes``, or
                bad settings. BadInputError: bad params or a missing upstream id.
        """
        profile, runner, args = resolve_run(self.stage, context, self.xcom_values)
        if runner != "kubernetes":
            raise ConfigError(
                f"HOOPCAST_RUNNER={runner} in profile {profile!r}, but this DAG was parsed with "
                "the kubernetes runner: set HOOPCAST_RUNNER where the DAG processor parses the "
                "DAGs too"
            )
        pod = build_pod_spec(self.stage, profile, args)
        self.profile = profile
        self.pod_spec = pod
        self.image = pod.image
        self.arguments = pod.arguments
        self.env_vars = list(pod.env)
        self.env_from = list(pod.env_from)
        self.container_resources = pod.resources
        self.volumes = list(pod.volumes)
        self.volume_mounts = list(pod.volume_mounts)
        self.namespace = pod.namespace
        self.service_account_name = pod.service_account
        self.in_cluster = pod.in_cluster
        self.image_pull_secrets = list(pod.image_pull_secrets)
        self.what = f"{CONSOLE_SCRIPTS[self.stage.service]} {' '.join(args)}"
        return args

    def execute(self, context: Any) -> dict[str, Any]:
        """Run the stage pod; returns its JSON run summary (pushed to XCom ``return_value``)."""
        try:
            self.prepare(context)
        except HoopcastError as exc:
            raise AirflowFailException(f"{self.task_id}: {exc}") from exc
        self.summary = None
        super().execute(context)
        if self.summary is None:
            raise AirflowException(f"{self.what}: no run summary was read from the pod")
        attach_outlet_extra(self.stage, self.dag_id, self.task_id, context, self.summary)
        context["ti"].xcom_push(key="return_value", value=self.summary)
        return self.summary

    def cleanup(
        self,
        pod: k8s.V1Pod,
        remote_pod: k8s.V1Pod,
        xcom_result: dict[Any, Any] | None = None,
        context: Any = None,
    ) -> None:
        """Read the run summary from the base container's log, let the provider delete the
        pod, then decide the outcome from the exit code (:func:`pod_outcome`)."""
        if self._killed or not remote_pod:
            super().cleanup(
                pod=pod, remote_pod=remote_pod, xcom_result=xcom_result, context=context
            )
            return
        output = self._read_output(pod)
        provider_error: AirflowException | None = None
        try:
            super().cleanup(
                pod=pod, remote_pod=remote_pod, xcom_result=xcom_result, context=context
            )
        except AirflowException as exc:  # skip (99) or failure: decided below from the exit code
            provider_error = exc
        try:
            self.summary = pod_outcome(remote_pod, self.base_container_name, output, self.what)
        except AirflowException as exc:
            raise exc from provider_error

    def _read_output(self, pod: k8s.V1Pod) -> str:
        """The last :data:`SUMMARY_TAIL_LINES` lines of the base container's log ("" when the
        API cannot give them: the outcome then falls back to the exit code)."""
        try:
            logs = self.pod_manager.read_pod_logs(
                pod, self.base_container_name, tail_lines=SUMMARY_TAIL_LINES, follow=False
            )
            return b"".join(logs).decode(errors="replace")
        except (ApiException, HTTPError) as exc:
            self.log.warning("could not read the log of pod %s: %s", pod.metadata.name, exc)
            return ""
