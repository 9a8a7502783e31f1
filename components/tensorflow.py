"""The analytics stage's TensorFlow workers: a StatefulSet (or Deployment) of a user image.

No operator: Kubeflow's TFJob is legacy and Trainer v2 has no TensorFlow runtime, so the workers
are plain workloads (REFERENCE.md, "Analytics / ML"). Like every element they run hardened to the
"restricted" standard, spread over zones, open only the flows they need, and report to
Prometheus. The model lives on one ReadWriteMany claim of a ``sharedv4`` class that every worker
mounts (read-only unless configured otherwise); each worker has scratch space of its own.

Kafka and Elasticsearch are known only by their endpoints: credentials reach the container as
Secret references (environment ``secretKeyRef`` and mounted files), never as values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.alerting.tensorflow import (
    CONTAINER,
    WORKLOAD_KINDS,
    tensorflow_alert_groups,
    tensorflow_pod_monitor_spec,
)
from components.endpoints import ElasticsearchEndpoint, KafkaEndpoint, ready_to_read
from components.labels import ROLE_LABEL, STAGE_LABEL
from components.monitoring import Monitoring
from components.namespace import PipelineNamespace
from components.network import ElementFlows, Flow, Peer, create_flow_policy
from components.pods import (
    STORK_SCHEDULER,
    Resources,
    restricted_container_security_context,
    restricted_pod_security_context,
    zone_spread,
)
from components.storage import ProvisionedClass
from components.stork import stateful_set_claim

STAGE = "analytics"
GPU_RESOURCE = "nvidia.com/gpu"
# Where the Secrets' files appear in the container.
KAFKA_CA_DIR = "/etc/kafka/ca"
KAFKA_USER_DIR = "/etc/kafka/user"
ELASTICSEARCH_CA_DIR = "/etc/elasticsearch/ca"
# Owner and group may read a mounted Secret file (the group is the pod's fsGroup); others not.
_SECRET_FILE_MODE = 0o440
_MODEL_VOLUME = "model"
_SCRATCH_VOLUME = "scratch"


@dataclass(frozen=True)
class HttpProbe:
    path: str
    port: int
    initial_delay_seconds: int = 0
    period_seconds: int = 10
    failure_threshold: int = 3

    def as_probe(self) -> dict[str, Any]:
        return {
            "httpGet": {"path": self.path, "port": self.port},
            "initialDelaySeconds": self.initial_delay_seconds,
            "periodSeconds": self.period_seconds,
            "failureThreshold": self.failure_threshold,
        }


@dataclass(frozen=True)
class MetricsEndpoint:
    port: int
    path: str


@dataclass(frozen=True)
class TensorflowSettings:
    """What the workers run and read, from ``pipelines.<p>.analytics.tensorflow``."""

    image: str
    kind: str
    """StatefulSet or Deployment."""
    replicas: int
    resources: Resources
    """Requests equal to limits (TF Serving's guidance), without GPUs."""
    run_as_user: int
    model_name: str
    model_size: str
    model_read_only: bool
    model_mount_path: str
    scratch_size: str
    scratch_mount_path: str
    readiness: HttpProbe
    liveness: HttpProbe
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    gpus: int = 0
    topics: tuple[str, ...] = ()
    """Kafka topics the workers read (their Kafka user may read exactly these)."""
    consumer_group: str = "tensorflow"
    indices: tuple[str, ...] = ()
    """Elasticsearch indices (or patterns) the workers read."""
    metrics: MetricsEndpoint | None = None
    """None: the image exposes no metrics; no PodMonitor, no scrape flow."""

    def __post_init__(self) -> None:
        if self.kind not in WORKLOAD_KINDS:
            raise ValueError(f"kind must be one of {', '.join(WORKLOAD_KINDS)}, got {self.kind!r}")
        if self.resources.requests != self.resources.limits:
            raise ValueError("resources: requests must equal limits (TF Serving's guidance)")

    def container_resources(self) -> dict[str, dict[str, str]]:
        """Requests and limits, GPUs in both (Kubernetes requires them equal for extended
        resources)."""
        gpus = {GPU_RESOURCE: str(self.gpus)} if self.gpus else {}
        return Resources(
            requests={**self.resources.requests, **gpus},
            limits={**self.resources.limits, **gpus},
        ).to_dict()

    def ports(self) -> dict[int, str]:
        """Container ports by number: ``http`` for the probes' port(s), ``metrics`` otherwise."""
        named: dict[int, str] = {}
        for port in sorted({self.readiness.port, self.liveness.port}):
            named[port] = "http" if not named else f"http-{port}"
        if self.metrics is not None and self.metrics.port not in named:
            named[self.metrics.port] = "metrics"
        return named


@dataclass(frozen=True)
class TensorflowWorkersArgs:
    """Inputs of :class:`TensorflowWorkers`."""

    namespace: PipelineNamespace
    model_class: ProvisionedClass
    """A ``sharedv4`` class: the only kind that serves the model's ReadWriteMany claim."""
    scratch_class: ProvisionedClass
    kafka: KafkaEndpoint | None
    """The pipeline's Kafka as the analytics stage's user; None when no topic is read."""
    elasticsearch: ElasticsearchEndpoint | None
    """The pipeline's Elasticsearch as the analytics (read-only) user; None when no index is
    read."""
    topology_key: str
    strict_zone_spread: bool
    use_stork: bool
    monitoring: Monitoring | None
    settings: TensorflowSettings

    def __post_init__(self) -> None:
        if self.model_class.access_mode != "ReadWriteMany":
            raise ValueError(
                f"the model's class (role {self.model_class.role}) must be sharedv4: a "
                "ReadWriteMany claim on any other class provisions nothing"
            )
        if self.settings.topics and self.kafka is None:
            raise ValueError("the workers read Kafka topics but no Kafka endpoint is given")
        if self.settings.indices and self.elasticsearch is None:
            raise ValueError(
                "the workers read Elasticsearch indices but no Elasticsearch endpoint is given"
            )


def worker_environment(
    settings: TensorflowSettings,
    kafka: KafkaEndpoint | None,
    elasticsearch: ElasticsearchEndpoint | None,
) -> list[dict[str, Any]]:
    """The container's environment: where the model, scratch, Kafka and Elasticsearch are.

    Passwords come as ``secretKeyRef``; certificates and keys as files (see
    :func:`secret_volumes`). Names follow librdkafka's and the Elasticsearch clients' settings.
    """
    env: list[dict[str, Any]] = [
        {"name": "MODEL_NAME", "value": settings.model_name},
        {"name": "MODEL_BASE_PATH", "value": settings.model_mount_path},
        {"name": "TMPDIR", "value": settings.scratch_mount_path},
    ]
    if settings.topics and kafka is not None:
        env += [
            {"name": "KAFKA_BOOTSTRAP_SERVERS", "value": kafka.bootstrap},
            {"name": "KAFKA_TOPICS", "value": ",".join(settings.topics)},
            {"name": "KAFKA_GROUP_ID", "value": settings.consumer_group},
            {"name": "KAFKA_SSL_CA_LOCATION", "value": f"{KAFKA_CA_DIR}/ca.crt"},
        ]
        if kafka.authentication == "tls":
            env += [
                {"name": "KAFKA_SECURITY_PROTOCOL", "value": "SSL"},
                {"name": "KAFKA_SSL_CERTIFICATE_LOCATION", "value": f"{KAFKA_USER_DIR}/user.crt"},
                {"name": "KAFKA_SSL_KEY_LOCATION", "value": f"{KAFKA_USER_DIR}/user.key"},
            ]
        else:
            env += [
                {"name": "KAFKA_SECURITY_PROTOCOL", "value": "SASL_SSL"},
                {"name": "KAFKA_SASL_MECHANISM", "value": "SCRAM-SHA-512"},
                # Strimzi names a KafkaUser's Secret after the user.
                {"name": "KAFKA_SASL_USERNAME", "value": kafka.user_secret},
                _secret_env("KAFKA_SASL_PASSWORD", kafka.user_secret, "password"),
            ]
    if settings.indices and elasticsearch is not None:
        env += [
            {"name": "ELASTICSEARCH_URL", "value": elasticsearch.url},
            {"name": "ELASTICSEARCH_INDICES", "value": ",".join(settings.indices)},
            {"name": "ELASTICSEARCH_CA_CERTS", "value": f"{ELASTICSEARCH_CA_DIR}/ca.crt"},
            _secret_env("ELASTICSEARCH_USERNAME", elasticsearch.credentials_secret, "username"),
            _secret_env("ELASTICSEARCH_PASSWORD", elasticsearch.credentials_secret, "password"),
        ]
    return env


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def secret_volumes(
    settings: TensorflowSettings,
    kafka: KafkaEndpoint | None,
    elasticsearch: ElasticsearchEndpoint | None,
) -> list[tuple[dict[str, Any], str]]:
    """(volume, mount path) of each Secret whose files the workers read: CAs, a TLS user."""
    mounts: list[tuple[str, str, tuple[str, ...], str]] = []
    if settings.topics and kafka is not None:
        mounts.append(("kafka-ca", kafka.ca_secret, ("ca.crt",), KAFKA_CA_DIR))
        if kafka.authentication == "tls":
            mounts.append(
                ("kafka-user", kafka.user_secret, ("user.crt", "user.key"), KAFKA_USER_DIR)
            )
    if settings.indices and elasticsearch is not None:
        mounts.append(
            ("elasticsearch-ca", elasticsearch.ca_secret, ("ca.crt",), ELASTICSEARCH_CA_DIR)
        )
    return [
        (
            {
                "name": volume,
                "secret": {
                    "secretName": secret,
                    "items": [{"key": key, "path": key} for key in keys],
                    "defaultMode": _SECRET_FILE_MODE,
                },
            },
            path,
        )
        for volume, secret, keys, path in mounts
    ]


def scratch_claim_spec(settings: TensorflowSettings, storage_class: Any) -> dict[str, Any]:
    return {
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": storage_class,
        "resources": {"requests": {"storage": settings.scratch_size}},
    }


def worker_pod_template(
    settings: TensorflowSettings,
    *,
    pod_labels: Mapping[str, str],
    model_claim: Any,
    scratch_class: Any,
    scratch_role: str,
    kafka: KafkaEndpoint | None,
    elasticsearch: ElasticsearchEndpoint | None,
    topology_key: str,
    strict_zone_spread: bool,
    use_stork: bool,
) -> dict[str, Any]:
    """The workers' pod template. A Deployment's pods get scratch as a generic ephemeral volume
    (a claim made and deleted with each pod); a StatefulSet's from its ``volumeClaimTemplates``."""
    secrets = secret_volumes(settings, kafka, elasticsearch)
    volumes: list[dict[str, Any]] = [
        {
            "name": _MODEL_VOLUME,
            "persistentVolumeClaim": {
                "claimName": model_claim,
                "readOnly": settings.model_read_only,
            },
        },
        *(volume for volume, _ in secrets),
    ]
    if settings.kind == "Deployment":
        volumes.append(
            {
                "name": _SCRATCH_VOLUME,
                "ephemeral": {
                    "volumeClaimTemplate": {
                        "metadata": {"labels": {ROLE_LABEL: scratch_role}},
                        "spec": scratch_claim_spec(settings, scratch_class),
                    }
                },
            }
        )
    container: dict[str, Any] = {
        "name": CONTAINER,
        "image": settings.image,
        "env": worker_environment(settings, kafka, elasticsearch),
        "ports": [
            {"name": name, "containerPort": port, "protocol": "TCP"}
            for port, name in settings.ports().items()
        ],
        "readinessProbe": settings.readiness.as_probe(),
        "livenessProbe": settings.liveness.as_probe(),
        "resources": settings.container_resources(),
        "securityContext": {
            **restricted_container_security_context(),
            "runAsUser": settings.run_as_user,
        },
        "volumeMounts": [
            {
                "name": _MODEL_VOLUME,
                "mountPath": settings.model_mount_path,
                "readOnly": settings.model_read_only,
            },
            {"name": _SCRATCH_VOLUME, "mountPath": settings.scratch_mount_path},
            *(
                {"name": volume["name"], "mountPath": path, "readOnly": True}
                for volume, path in secrets
            ),
        ],
    }
    if settings.command:
        container["command"] = list(settings.command)
    if settings.args:
        container["args"] = list(settings.args)
    spec: dict[str, Any] = {
        # The workers call no Kubernetes API: no token in the pod.
        "automountServiceAccountToken": False,
        "securityContext": {
            **restricted_pod_security_context(fs_group=settings.run_as_user),
            "runAsUser": settings.run_as_user,
            "runAsGroup": settings.run_as_user,
        },
        "topologySpreadConstraints": zone_spread(
            pod_labels, topology_key, strict=strict_zone_spread
        ),
        "containers": [container],
        "volumes": volumes,
    }
    if use_stork:
        spec["schedulerName"] = STORK_SCHEDULER
    return {"metadata": {"labels": dict(pod_labels)}, "spec": spec}


class TensorflowWorkers(pulumi.ComponentResource):
    """The workers ``<name>-tensorflow``: their model claim, workload, disruption budget, flows,
    monitor and alerts."""

    workers: str
    model_claim: pulumi.Output[str]
    claims: dict[str, str]
    """Each claim of the workers (the model's; a StatefulSet's scratch per worker) -> its storage
    role: what snapshot schedules cover (scratch roles are exempt)."""
    pods: dict[str, str]
    """Labels that select the workers' pods."""

    def __init__(
        self, name: str, args: TensorflowWorkersArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:analytics:TensorflowWorkers", name, None, opts)
        self._args = args
        self._labels = args.namespace.labels
        self.workers = f"{name}-tensorflow"
        self.pods = {
            "app.kubernetes.io/name": "tensorflow",
            "app.kubernetes.io/instance": self.workers,
        }
        self._child = pulumi.ResourceOptions(parent=self)
        claim = self._create_model_claim()
        self.model_claim = claim.metadata.name
        scratch_claims = (
            {
                stateful_set_claim(_SCRATCH_VOLUME, self.workers, ordinal): args.scratch_class.role
                for ordinal in range(args.settings.replicas)
            }
            if args.settings.kind == "StatefulSet"
            else {}
        )
        self.claims = {f"{self.workers}-model": args.model_class.role, **scratch_claims}
        self._create_workload(claim)
        self._create_disruption_budget()
        self._create_flows()
        if args.monitoring is not None:
            self._create_monitoring(args.monitoring)
        self.register_outputs(
            {"workers": self.workers, "kind": args.settings.kind, "modelClaim": self.model_claim}
        )

    def _metadata(self, name: str, **extra_labels: str) -> dict[str, Any]:
        return {
            "name": name,
            "namespace": self._args.namespace.name,
            "labels": {**self._labels, **extra_labels},
        }

    def _create_model_claim(self) -> k8s.core.v1.PersistentVolumeClaim:
        model = self._args.model_class
        return k8s.core.v1.PersistentVolumeClaim(
            f"{self.workers}-model",
            metadata=self._metadata(f"{self.workers}-model", **{ROLE_LABEL: model.role}),
            spec={
                "accessModes": ["ReadWriteMany"],
                "storageClassName": model.name,
                "resources": {"requests": {"storage": self._args.settings.model_size}},
            },
            opts=pulumi.ResourceOptions(
                parent=self,
                # The model outlives the workers: it is published from outside, and costly to
                # rebuild.
                retain_on_delete=True,
                # A claim's class is immutable, and a replacement of this named, retained claim
                # could only collide with it: a change of the role's class leaves the live model
                # where it is (growing the size still applies in place).
                ignore_changes=["spec.storageClassName"],
            ),
        )

    def _create_workload(self, claim: k8s.core.v1.PersistentVolumeClaim) -> None:
        args = self._args
        settings = args.settings
        scratch = args.scratch_class
        template = worker_pod_template(
            settings,
            pod_labels={**self._labels, **self.pods, STAGE_LABEL: STAGE},
            model_claim=claim.metadata.name,
            scratch_class=scratch.name,
            scratch_role=scratch.role,
            kafka=args.kafka,
            elasticsearch=args.elasticsearch,
            topology_key=args.topology_key,
            strict_zone_spread=args.strict_zone_spread,
            use_stork=args.use_stork,
        )
        spec: dict[str, Any] = {
            "replicas": settings.replicas,
            "selector": {"matchLabels": self.pods},
            "template": template,
        }
        metadata = self._metadata(self.workers)
        # The workers mount their users' Secrets: they start once the clusters they read exist.
        after_endpoints = pulumi.ResourceOptions(
            parent=self, depends_on=ready_to_read(args.kafka, args.elasticsearch)
        )
        if settings.kind == "Deployment":
            k8s.apps.v1.Deployment(self.workers, metadata=metadata, spec=spec, opts=after_endpoints)
            return
        service = self._create_headless_service()
        spec |= {
            "serviceName": service.metadata.name,
            # Workers start and stop together: none waits for another's readiness.
            "podManagementPolicy": "Parallel",
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": _SCRATCH_VOLUME, "labels": {ROLE_LABEL: scratch.role}},
                    "spec": scratch_claim_spec(settings, scratch.name),
                }
            ],
            # Scratch is disposable: its claims go with the workers and with scaled-in ones.
            "persistentVolumeClaimRetentionPolicy": {
                "whenDeleted": "Delete",
                "whenScaled": "Delete",
            },
        }
        k8s.apps.v1.StatefulSet(self.workers, metadata=metadata, spec=spec, opts=after_endpoints)

    def _create_headless_service(self) -> k8s.core.v1.Service:
        """The StatefulSet's governing Service: a stable DNS name per worker."""
        return k8s.core.v1.Service(
            self.workers,
            metadata=self._metadata(self.workers),
            spec={
                "clusterIP": "None",
                "selector": self.pods,
                "ports": [
                    {"name": name, "port": port, "targetPort": name, "protocol": "TCP"}
                    for port, name in self._args.settings.ports().items()
                ],
            },
            opts=self._child,
        )

    def _create_disruption_budget(self) -> None:
        k8s.policy.v1.PodDisruptionBudget(
            self.workers,
            metadata=self._metadata(self.workers),
            # One worker at a time is drained: the others keep analysing.
            spec={"maxUnavailable": 1, "selector": {"matchLabels": self.pods}},
            opts=self._child,
        )

    def _create_flows(self) -> None:
        args = self._args
        settings = args.settings
        ingress: list[Flow] = []
        if args.monitoring is not None and settings.metrics is not None:
            ingress.append(args.monitoring.scrape_flow((settings.metrics.port,)))
        egress: list[Flow] = []
        if settings.topics and args.kafka is not None:
            egress.append(
                Flow(
                    "read the pipeline's topics over Kafka's TLS listener",
                    (Peer(pods=args.kafka.pods),),
                    (args.kafka.port,),
                )
            )
        if settings.indices and args.elasticsearch is not None:
            egress.append(
                Flow(
                    "read the pipeline's indices over Elasticsearch's HTTP API",
                    (Peer(pods=args.elasticsearch.pods),),
                    (args.elasticsearch.port,),
                )
            )
        if not ingress and not egress:
            # The namespace's default deny already says everything: no policy to add.
            return
        create_flow_policy(
            f"{self.workers}-flows",
            element=self.workers,
            namespace=args.namespace.name,
            labels=self._labels,
            flows=ElementFlows(pods=self.pods, ingress=tuple(ingress), egress=tuple(egress)),
            opts=self._child,
        )

    def _create_monitoring(self, monitoring: Monitoring) -> None:
        namespace = self._args.namespace.name
        settings = self._args.settings

        def alert_groups(namespace_name: str) -> list[dict[str, Any]]:
            return tensorflow_alert_groups(namespace_name, self.workers, settings.kind)

        if settings.metrics is None:
            # Nothing to scrape: the alerts read kube-state-metrics only.
            monitoring.create_alert_rules(
                f"{self.workers}-alerts",
                name=self.workers,
                namespace=namespace,
                labels=self._labels,
                groups=namespace.apply(alert_groups),
                opts=self._child,
            )
            return
        monitoring.watch_pods(
            self.workers,
            name=self.workers,
            namespace=namespace,
            labels=self._labels,
            pod_monitor=tensorflow_pod_monitor_spec(
                self.pods, settings.ports()[settings.metrics.port], settings.metrics.path
            ),
            alert_groups=alert_groups,
            opts=self._child,
        )
