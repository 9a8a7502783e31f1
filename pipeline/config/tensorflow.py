"""``pipelines.<name>.analytics.tensorflow``: TensorFlow workers analysing the pipeline's events.

Plain StatefulSets (or Deployments) of a user image: Kubeflow's TFJob is legacy and Trainer v2 has
no TensorFlow runtime (REFERENCE.md, "Analytics / ML"), so no operator is needed. Defaults follow
TF Serving's guidance: REST on 8501 with readiness on ``GET /v1/models/<name>`` (the gRPC health
service says SERVING before the model has loaded), fewer, larger replicas with requests equal to
limits; the model on a ``sharedv4`` (ReadWriteMany) role that every worker mounts read-only, and
per-worker scratch on a ``scratch`` role.

The default kind is a StatefulSet: each worker keeps a stable name (``<p>-tensorflow-0``, the
index a distributed TensorFlow job or a Kafka static member needs) and its own scratch claim from
``volumeClaimTemplates``, which survives a restart, so caches need not be rebuilt. A Deployment
suits stateless serving: each pod then gets a fresh ephemeral scratch claim that goes with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, model_validator

from components.quantities import parse_quantity
from pipeline.config.base import (
    ConfigModel,
    Problem,
    Quantity,
    ShortName,
    between,
    matching,
    no_duplicates,
    raise_problems,
)
from pipeline.config.compute import ResourcesConfig, resources
from pipeline.config.kafka import TopicName
from pipeline.config.loader import ImageReference

# TF Serving's REST port, and the name it serves a model under when MODEL_NAME is unset.
TF_SERVING_REST_PORT = 8501
TF_SERVING_DEFAULT_MODEL = "model"

Port = Annotated[int, AfterValidator(between(1024, 65535))]
HttpPath = Annotated[
    str,
    AfterValidator(
        matching(r"/[A-Za-z0-9._~/:%-]*", "an absolute HTTP path such as /v1/models/model")
    ),
]
MountPath = Annotated[
    str,
    AfterValidator(matching(r"(/[A-Za-z0-9._-]+)+", "an absolute directory such as /models")),
]
# An index, alias or pattern the workers' read-only Elasticsearch user may read.
IndexPattern = Annotated[
    str,
    AfterValidator(
        matching(
            r"(?=.{1,255}$)[a-z0-9*][a-z0-9._*-]*",
            "an Elasticsearch index, alias or pattern such as clicks-*: lowercase letters, "
            "digits, '.', '_', '-' and '*', not starting with '.', '_' or '-'",
        )
    ),
]
# A name TF Serving accepts in its URL path: it also names the model's directory on the volume.
ModelName = Annotated[
    str,
    AfterValidator(
        matching(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}", "letters, digits, '_', '.' and '-'")
    ),
]


class ProbeConfig(ConfigModel):
    """An HTTP probe. ``path`` unset: TF Serving's model status, ``/v1/models/<modelName>``."""

    path: HttpPath | None = None
    port: Port = TF_SERVING_REST_PORT
    initial_delay_seconds: Annotated[int, AfterValidator(between(0, 3600))] = 0
    period_seconds: Annotated[int, AfterValidator(between(1, 300))] = 10
    failure_threshold: Annotated[int, AfterValidator(between(1, 100))] = 3


class LivenessConfig(ProbeConfig):
    """Later and less often than readiness: loading a large model must not get a worker
    killed, and a worker that stops answering is restarted after about two minutes."""

    initial_delay_seconds: Annotated[int, AfterValidator(between(0, 3600))] = 60
    period_seconds: Annotated[int, AfterValidator(between(1, 300))] = 20
    failure_threshold: Annotated[int, AfterValidator(between(1, 100))] = 6


class MetricsConfig(ConfigModel):
    """Where the workers serve Prometheus metrics. TF Serving does so on its REST port once
    started with ``--monitoring_config_file`` (``prometheus_config { enable: true }``)."""

    port: Port = TF_SERVING_REST_PORT
    path: HttpPath = "/monitoring/prometheus/metrics"


class ModelVolumeConfig(ConfigModel):
    """The model volume: one ReadWriteMany claim that every worker mounts."""

    storage_role: ShortName = "shared"
    """A ``sharedv4`` role of the catalog: only such a class can serve ReadWriteMany."""
    size: Quantity = "20Gi"
    read_only: bool = True
    """The workers only read the model (it is published from outside): mount it read-only."""
    mount_path: MountPath = "/models"


class ScratchVolumeConfig(ConfigModel):
    """Each worker's own scratch space (``TMPDIR``): disposable, so on the ``scratch`` role."""

    storage_role: ShortName = "scratch"
    size: Quantity = "20Gi"
    mount_path: MountPath = "/scratch"


class ReadsConfig(ConfigModel):
    """What the workers read: topics of the pipeline's Kafka and indices of its Elasticsearch.

    Both empty: the workers serve the model and read neither (no credentials, no egress).
    """

    topics: Annotated[tuple[TopicName, ...], AfterValidator(no_duplicates)] = ()
    indices: Annotated[tuple[IndexPattern, ...], AfterValidator(no_duplicates)] = ()
    """Index names or patterns (``clicks-*``) the workers read through the REST API."""
    consumer_group: ShortName = "tensorflow"
    """The Kafka consumer group the workers share: their Kafka user may read only this one."""


class TensorflowConfig(ConfigModel):
    """The pipeline's TensorFlow workers."""

    image: ImageReference
    """A user image built on tensorflow/tensorflow or tensorflow/serving, pinned."""
    command: tuple[str, ...] = ()
    """The container's entrypoint; empty: the image's."""
    args: tuple[str, ...] = ()
    model_name: ModelName = TF_SERVING_DEFAULT_MODEL
    """Given to the workers as ``MODEL_NAME``; its directory under the model volume."""
    kind: Literal["StatefulSet", "Deployment"] = "StatefulSet"
    """StatefulSet: stable identities and a scratch claim each; Deployment: stateless workers
    with a scratch claim that lives as long as the pod (see the module's description)."""
    replicas: Annotated[int, AfterValidator(between(1, 50))] = 2
    """Two, so that one worker is always up while the other is rolled or rescheduled."""
    resources: ResourcesConfig = resources("4", "8Gi")
    """Requests equal to limits (TF Serving: fewer, larger replicas; Guaranteed QoS)."""
    gpus: Annotated[int, AfterValidator(between(0, 16))] = 0
    """``nvidia.com/gpu`` per worker, in requests and limits; 0: none."""
    run_as_user: Annotated[int, AfterValidator(between(1, 2**31 - 1))] = 1000
    """The numeric uid the workers run as. TensorFlow's images run as root unless told
    otherwise, and ``runAsNonRoot`` admits only a numeric, non-zero uid."""
    model: ModelVolumeConfig = ModelVolumeConfig()
    scratch: ScratchVolumeConfig = ScratchVolumeConfig()
    reads: ReadsConfig = ReadsConfig()
    readiness: ProbeConfig = ProbeConfig()
    liveness: LivenessConfig = LivenessConfig()
    metrics: MetricsConfig | None = None
    """None: the image exposes no Prometheus metrics, so there is no PodMonitor (the
    readiness alert, read from kube-state-metrics, still applies)."""

    @model_validator(mode="after")
    def _check_the_workers(self) -> TensorflowConfig:
        raise_problems(self._problems())
        return self

    def _problems(self) -> Iterator[Problem]:
        requests, limits = self.resources.requests, self.resources.limits
        for name in ("cpu", "memory"):
            request, limit = getattr(requests, name), getattr(limits, name)
            if parse_quantity(request) != parse_quantity(limit):
                yield Problem(
                    ("resources", "requests", name),
                    rule=f"{request} differs from limits.{name} {limit} (TF Serving: requests "
                    "equal to limits, so that a worker is never throttled or evicted first)",
                )
        if self.model.storage_role == self.scratch.storage_role:
            yield Problem(
                ("scratch", "storageRole"),
                rule=f"is the model's role {self.model.storage_role}: the model needs a "
                "ReadWriteMany (sharedv4) class, scratch a ReadWriteOnce one",
            )
        if self.model.mount_path == self.scratch.mount_path:
            yield Problem(("scratch", "mountPath"), rule="is the model's mountPath")

    def probe_path(self, probe: ProbeConfig) -> str:
        """The probe's path, TF Serving's model status by default."""
        return probe.path or f"/v1/models/{self.model_name}"
