"""spark-operator custom resource bodies of the analytics stage: a ``SparkApplication`` per
streaming job, a ``ScheduledSparkApplication`` per batch job, and the driver's RBAC rules.

Plain functions from frozen dataclasses to dicts, as in ``components/connect.py``: no Pulumi
import; Outputs (the bootstrap address, Elasticsearch's URL, a class name) are only placed.

How the bodies keep a job safe and observable:

- Pod fields (security contexts, scheduler, labels, Secrets, volumes) go through the operator's
  own driver/executor fields, which its mutating webhook applies; never through
  ``driver.template``, which would bypass the webhook for that pod.
- No password in ``sparkConf``: Kafka's credentials and CA are Secrets mounted as files, and
  the Kafka client reads the keystore password or JAAS config through Kafka's
  ``DirectoryConfigProvider`` (``${directory:<dir>:<key>}``); Elasticsearch's user comes in
  environment variables from ``secretKeyRef``.
- The job reads its Kafka source options from ``sparkConf``: every key under
  :data:`KAFKA_SOURCE_PREFIX` is an option of ``spark.readStream.format("kafka")`` with the
  prefix removed (``kafka.bootstrap.servers``, ``subscribe``, ``groupIdPrefix``, ...).
- Metrics through Spark 4's native Prometheus endpoints on the driver's UI port (no JMX jar).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.alerting.spark import (
    DRIVER_METRICS_PATH,
    METRICS_NAMESPACE,
    application_name,
    job_group_prefix,
)
from components.labels import STAGE_LABEL
from components.pods import (
    STORK_SCHEDULER,
    restricted_container_security_context,
    restricted_pod_security_context,
)

SPARK_API = "sparkoperator.k8s.io/v1beta2"
STAGE = "analytics"
# The official apache/spark images run as this user and group.
SPARK_UID = 185
DRIVER_PORT = 7078
BLOCK_MANAGER_PORT = 7079
UI_PORT = 4040
# Labels Spark and the operator put on the pods of an application.
ROLE_LABEL = "spark-role"
APP_NAME_LABEL = "sparkoperator.k8s.io/app-name"
KAFKA_SOURCE_PREFIX = "spark.datapipeline.kafkaSource."

CHECKPOINT_VOLUME = "checkpoints"
CHECKPOINT_DIR = "/mnt/checkpoints"
SCRATCH_VOLUME = "spark-local-dir-1"
SCRATCH_DIR = "/var/spark/scratch"
KAFKA_CA_DIR = "/mnt/kafka-ca"
KAFKA_USER_DIR = "/mnt/kafka-user"
ES_CA_DIR = "/mnt/elasticsearch-ca"
_DIRECTORY_PROVIDER = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"


@dataclass(frozen=True)
class KafkaAccess:
    """The pipeline's Kafka as the analytics stage reads it over TLS."""

    bootstrap: Any
    ca_secret: str
    """The cluster CA's Secret (``ca.crt``)."""
    user_secret: str
    """The analytics KafkaUser's Secret: ``user.p12``/``user.password`` or
    ``sasl.jaas.config``."""
    authentication: str
    """``tls`` or ``scram-sha-512``."""


@dataclass(frozen=True)
class ElasticsearchAccess:
    """The pipeline's Elasticsearch as the analytics stage reads it over its REST API."""

    url: Any
    ca_secret: str
    credentials_secret: str
    """The analytics user's basic-auth Secret (``username``, ``password``)."""


@dataclass(frozen=True)
class PodSize:
    cores: int
    memory: str
    """Spark's size (``4g``)."""
    memory_overhead: str | None = None


@dataclass(frozen=True)
class Restart:
    policy: str
    """Always, OnFailure or Never."""
    retries: int = 3
    retry_interval: int = 30
    submission_retries: int = 5
    submission_retry_interval: int = 60


@dataclass(frozen=True)
class SparkJob:
    """One job and everything its application needs of its own."""

    name: str
    main_application_file: str
    spark_version: str
    kafka_package: str
    image: str
    driver: PodSize
    executor: PodSize
    executor_instances: int
    restart: Restart
    schedule: str | None = None
    """None: a streaming job (SparkApplication); a cron schedule: a ScheduledSparkApplication."""
    main_class: str | None = None
    arguments: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    indices: tuple[str, ...] = ()
    trigger_interval: int = 60
    dynamic_allocation: tuple[int, int] | None = None
    """(min, max) executors when dynamic allocation is on."""

    def __post_init__(self) -> None:
        if not self.kafka_package.endswith(f":{self.spark_version}"):
            raise ValueError(
                f"Spark job {self.name}: the Kafka package {self.kafka_package} does not match "
                f"Spark {self.spark_version}"
            )

    @property
    def streaming(self) -> bool:
        return self.schedule is None

    @property
    def app(self) -> str:
        return application_name(self.name)


@dataclass(frozen=True)
class SparkEnvironment:
    """What every job of a pipeline shares: namespace, identity, volumes and endpoints."""

    namespace: Any
    service_account: str
    checkpoint_claim: str
    scratch_class: Any
    scratch_size: str
    kafka: KafkaAccess | None = None
    elasticsearch: ElasticsearchAccess | None = None
    use_stork: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    topology_key: str = "topology.kubernetes.io/zone"


def driver_role_rules() -> list[dict[str, Any]]:
    """What a driver does in its own namespace: run its executors (pods), their headless
    Service and ConfigMaps, and the executors' on-demand scratch claims. ``deletecollection``
    because Spark removes them by label selector when the application stops."""
    return [
        {
            "apiGroups": [""],
            "resources": ["configmaps", "persistentvolumeclaims", "pods", "services"],
            "verbs": ["create", "delete", "deletecollection", "get", "list", "watch"],
        }
    ]


def spark_application_body(job: SparkJob, env: SparkEnvironment) -> dict[str, Any]:
    """The job's ``SparkApplication`` or, for a scheduled job, ``ScheduledSparkApplication``."""
    metadata = {"name": job.app, "namespace": env.namespace, "labels": dict(env.labels)}
    if job.streaming:
        return {
            "apiVersion": SPARK_API,
            "kind": "SparkApplication",
            "metadata": metadata,
            "spec": application_spec(job, env),
        }
    return {
        "apiVersion": SPARK_API,
        "kind": "ScheduledSparkApplication",
        "metadata": metadata,
        "spec": {
            "schedule": job.schedule,
            # A run still going when the next is due is left to finish: runs never overlap on
            # the same input.
            "concurrencyPolicy": "Forbid",
            "successfulRunHistoryLimit": 1,
            "failedRunHistoryLimit": 3,
            "template": application_spec(job, env),
        },
    }


def application_spec(job: SparkJob, env: SparkEnvironment) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": "Python" if job.main_application_file.endswith(".py") else "Scala",
        "mode": "cluster",
        "image": job.image,
        "imagePullPolicy": "IfNotPresent",
        "sparkVersion": job.spark_version,
        "mainApplicationFile": job.main_application_file,
    }
    if job.main_class is not None:
        spec["mainClass"] = job.main_class
    if job.arguments:
        spec["arguments"] = list(job.arguments)
    if job.topics:
        spec["deps"] = {"packages": [job.kafka_package]}
    spec["sparkConf"] = spark_conf(job, env)
    spec["restartPolicy"] = _restart_policy(job.restart)
    if job.dynamic_allocation is not None:
        low, high = job.dynamic_allocation
        spec["dynamicAllocation"] = {
            "enabled": True,
            "initialExecutors": job.executor_instances,
            "minExecutors": low,
            "maxExecutors": high,
            "shuffleTrackingEnabled": True,
        }
    spec["volumes"] = [
        {"name": CHECKPOINT_VOLUME, "persistentVolumeClaim": {"claimName": env.checkpoint_claim}}
    ]
    spec["driver"] = {
        **_pod(job, env, "driver", job.driver),
        "serviceAccount": env.service_account,
    }
    spec["executor"] = {
        **_pod(job, env, "executor", job.executor),
        "instances": job.executor_instances,
        "affinity": _executor_spread(job, env.topology_key),
    }
    return spec


def spark_conf(job: SparkJob, env: SparkEnvironment) -> dict[str, Any]:
    """Spark's settings of the job: ports, metrics, scratch, checkpoints and the Kafka source."""
    scratch = f"spark.kubernetes.executor.volumes.persistentVolumeClaim.{SCRATCH_VOLUME}"
    conf: dict[str, Any] = {
        # spark-submit runs in the operator's pod, whose root filesystem is read-only.
        "spark.jars.ivy": "/tmp/.ivy2",
        # Fixed ports: the network policy opens these and no others.
        "spark.driver.port": str(DRIVER_PORT),
        "spark.driver.blockManager.port": str(BLOCK_MANAGER_PORT),
        "spark.blockManager.port": str(BLOCK_MANAGER_PORT),
        "spark.ui.port": str(UI_PORT),
        # Spark 4's native Prometheus endpoints on the UI port: executors' and the driver's.
        "spark.ui.prometheus.enabled": "true",
        "spark.metrics.namespace": METRICS_NAMESPACE,
        "spark.metrics.conf.*.sink.prometheusServlet.class": (
            "org.apache.spark.metrics.sink.PrometheusServlet"
        ),
        "spark.metrics.conf.*.sink.prometheusServlet.path": DRIVER_METRICS_PATH.rstrip("/"),
        "spark.sql.streaming.metricsEnabled": "true",
        # One checkpoint location per query, under the job's own directory of the RWX claim.
        "spark.sql.streaming.checkpointLocation": f"{CHECKPOINT_DIR}/{job.name}",
        "spark.datapipeline.triggerInterval": f"{job.trigger_interval} seconds",
        # Scratch: an on-demand claim per executor, owned by the driver and reused by the
        # executor that replaces a lost one.
        f"{scratch}.options.claimName": "OnDemand",
        f"{scratch}.options.storageClass": env.scratch_class,
        f"{scratch}.options.sizeLimit": env.scratch_size,
        f"{scratch}.mount.path": SCRATCH_DIR,
        f"{scratch}.mount.readOnly": "false",
        "spark.kubernetes.driver.ownPersistentVolumeClaim": "true",
        "spark.kubernetes.driver.reusePersistentVolumeClaim": "true",
    }
    for role, size in (("driver", job.driver), ("executor", job.executor)):
        if size.memory_overhead is not None:
            conf[f"spark.{role}.memoryOverhead"] = size.memory_overhead
    if env.use_stork:
        conf["spark.kubernetes.scheduler.name"] = STORK_SCHEDULER
    if job.topics and env.kafka is not None:
        conf.update(kafka_source_options(job, env.kafka))
    return conf


def kafka_source_options(job: SparkJob, kafka: KafkaAccess) -> dict[str, Any]:
    """The Kafka source options, under :data:`KAFKA_SOURCE_PREFIX`: TLS to the brokers as the
    analytics user, secrets read from the mounted files by the Kafka client itself."""
    options: dict[str, Any] = {
        "subscribe": ",".join(job.topics),
        "groupIdPrefix": job_group_prefix(job.name),
        "kafka.bootstrap.servers": kafka.bootstrap,
        "kafka.config.providers": "directory",
        "kafka.config.providers.directory.class": _DIRECTORY_PROVIDER,
        "kafka.config.providers.directory.param.allowed.paths": (
            f"{KAFKA_CA_DIR},{KAFKA_USER_DIR}"
        ),
        "kafka.ssl.truststore.type": "PEM",
        "kafka.ssl.truststore.location": f"{KAFKA_CA_DIR}/ca.crt",
    }
    if kafka.authentication == "tls":
        options.update(
            {
                "kafka.security.protocol": "SSL",
                "kafka.ssl.keystore.type": "PKCS12",
                "kafka.ssl.keystore.location": f"{KAFKA_USER_DIR}/user.p12",
                "kafka.ssl.keystore.password": f"${{directory:{KAFKA_USER_DIR}:user.password}}",
            }
        )
    else:
        options.update(
            {
                "kafka.security.protocol": "SASL_SSL",
                "kafka.sasl.mechanism": "SCRAM-SHA-512",
                "kafka.sasl.jaas.config": f"${{directory:{KAFKA_USER_DIR}:sasl.jaas.config}}",
            }
        )
    return {f"{KAFKA_SOURCE_PREFIX}{key}": value for key, value in options.items()}


def _restart_policy(restart: Restart) -> dict[str, Any]:
    policy: dict[str, Any] = {"type": restart.policy}
    if restart.policy == "Never":
        return policy
    policy["onFailureRetryInterval"] = restart.retry_interval
    policy["onSubmissionFailureRetryInterval"] = restart.submission_retry_interval
    if restart.policy == "OnFailure":
        policy["onFailureRetries"] = restart.retries
        policy["onSubmissionFailureRetries"] = restart.submission_retries
    return policy


def _pod(job: SparkJob, env: SparkEnvironment, role: str, size: PodSize) -> dict[str, Any]:
    """Driver or executor: size, restricted contexts, labels, Secrets and volumes, all through
    the fields the operator's webhook applies."""
    pod: dict[str, Any] = {
        "cores": size.cores,
        # A CPU limit equal to the request: no pod of the pipeline runs without limits.
        "coreLimit": str(size.cores),
        "memory": size.memory,
        "labels": {**env.labels, STAGE_LABEL: STAGE},
        "podSecurityContext": {
            **restricted_pod_security_context(fs_group=SPARK_UID),
            "runAsUser": SPARK_UID,
            "runAsGroup": SPARK_UID,
        },
        "securityContext": {
            **restricted_container_security_context(),
            "runAsUser": SPARK_UID,
            "runAsGroup": SPARK_UID,
        },
        "volumeMounts": [{"name": CHECKPOINT_VOLUME, "mountPath": CHECKPOINT_DIR}],
    }
    if size.memory_overhead is not None:
        pod["memoryOverhead"] = size.memory_overhead
    if env.use_stork:
        pod["schedulerName"] = STORK_SCHEDULER
    secrets = []
    if job.topics and env.kafka is not None:
        secrets += [
            {"name": env.kafka.ca_secret, "path": KAFKA_CA_DIR, "secretType": "Generic"},
            {"name": env.kafka.user_secret, "path": KAFKA_USER_DIR, "secretType": "Generic"},
        ]
    if job.indices and env.elasticsearch is not None:
        es = env.elasticsearch
        secrets.append({"name": es.ca_secret, "path": ES_CA_DIR, "secretType": "Generic"})
        pod["env"] = [
            {"name": "ES_URL", "value": es.url},
            {"name": "ES_CA_CERT", "value": f"{ES_CA_DIR}/ca.crt"},
            {"name": "ES_INDICES", "value": ",".join(job.indices)},
            *(
                {
                    "name": f"ES_{key.upper()}",
                    "valueFrom": {"secretKeyRef": {"name": es.credentials_secret, "key": key}},
                }
                for key in ("username", "password")
            ),
        ]
    if secrets:
        pod["secrets"] = secrets
    return pod


def _executor_spread(job: SparkJob, topology_key: str) -> dict[str, Any]:
    """Executors of a job preferably in different zones: losing a zone loses fewer of them."""
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [
                {
                    "weight": 100,
                    "podAffinityTerm": {
                        "topologyKey": topology_key,
                        "labelSelector": {
                            "matchLabels": {APP_NAME_LABEL: job.app, ROLE_LABEL: "executor"}
                        },
                    },
                }
            ]
        }
    }
