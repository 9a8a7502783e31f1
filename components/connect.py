"""Strimzi custom resource bodies of the loader: a ``KafkaConnect``, one Elasticsearch sink
``KafkaConnector`` per configured connector, and a dead-letter ``KafkaTopic`` for each.

Plain functions from frozen dataclasses to dicts, as in ``components/strimzi.py``: no Pulumi
import; Outputs (the namespace, the bootstrap address, Elasticsearch's URL) are only placed.

How the bodies keep the loader safe:

- The sink plugin never comes from a Connect Build: Strimzi refuses to run its build pod under
  the "restricted" Pod Security Standard every pipeline namespace enforces. It comes either in a
  prebuilt Connect image (``spec.image``) or as an OCI image mounted as an image volume
  (``spec.plugins``, Kubernetes >= 1.35 by default).
- Elasticsearch's credentials and CA are Secrets mounted under ``/mnt``; connectors name them
  through Kafka's ``DirectoryConfigProvider`` (``${directory:<dir>:<key>}``), so no password is
  ever in a connector's config, the Connect REST API or the program's state.
- Each connector tolerates bad records and sends them, with the error in their headers, to a
  dead-letter topic of its own, created here as a ``KafkaTopic``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from components.alerting.connect import sink_group
from components.pods import (
    STORK_SCHEDULER,
    ZONE_TOPOLOGY_KEY,
    Resources,
    restricted_container_security_context,
    restricted_pod_security_context,
    zone_spread,
)
from components.strimzi import (
    API_V1,
    API_VERSIONS,
    CA_CERT_KEY,
    CLUSTER_LABEL,
    Authentication,
    MetricsSource,
    resource_body,
    topic_resource_name,
)

CONNECTOR_CLASS = "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector"
# 16.0.0 moved to Elastic's Java client, the first release that talks to Elasticsearch 8 and 9;
# Kafka Connect (>= 4.1, KIP-891) refuses to start the connector on an older plugin.
CONNECTOR_VERSIONS = "[16.0.0,)"
REST_PORT = 8083
METRICS_PORT = 9404
KIND_LABEL = "strimzi.io/kind"
USE_CONNECTOR_RESOURCES = "strimzi.io/use-connector-resources"

# Names of the loader's own state in the pipeline's Kafka cluster. Each pipeline has a Kafka
# cluster of its own, so they need not name the pipeline.
WORKER_GROUP = "loader-workers"
INTERNAL_TOPIC_PREFIX = "loader-internal-"
INTERNAL_TOPICS = {
    "configStorageTopic": f"{INTERNAL_TOPIC_PREFIX}configs",
    "offsetStorageTopic": f"{INTERNAL_TOPIC_PREFIX}offsets",
    "statusStorageTopic": f"{INTERNAL_TOPIC_PREFIX}status",
}
# Where Strimzi < 1.0 (v1beta2) read the worker group and the internal topics: in ``config``.
_V1BETA2_WORKER_KEYS = {
    "groupId": "group.id",
    "configStorageTopic": "config.storage.topic",
    "offsetStorageTopic": "offset.storage.topic",
    "statusStorageTopic": "status.storage.topic",
}
DEAD_LETTER_TOPIC_PREFIX = "loader-dlq-"

# Mounted Secrets: the config provider reads files under these directories and nowhere else.
ES_CREDENTIALS_DIR = "/mnt/elasticsearch-credentials"
ES_CA_DIR = "/mnt/elasticsearch-ca"
ES_USERNAME_KEY = "username"
ES_PASSWORD_KEY = "password"
_DIRECTORY_PROVIDER = "org.apache.kafka.common.config.provider.DirectoryConfigProvider"


class PluginDelivery(StrEnum):
    """How the Elasticsearch sink plugin reaches the Connect pods."""

    IMAGE = "image"
    """A Connect image with the plugin in its plugin path, built outside the cluster."""
    IMAGE_ARTIFACT = "imageArtifact"
    """An OCI image holding only the plugin, mounted as an image volume (Kubernetes >= 1.35)."""


def directory_reference(directory: str, key: str) -> str:
    """The config provider reference to the file ``key`` of a mounted Secret."""
    return f"${{directory:{directory}:{key}}}"


@dataclass(frozen=True)
class ElasticsearchTarget:
    """The Elasticsearch the connectors write to, as its element hands it over."""

    url: Any
    """``https://<es>-es-http.<namespace>.svc:9200`` (may be an Output)."""
    ca_secret: str
    """ECK's ``<es>-es-http-certs-public``: the CA of the HTTP layer under ``ca.crt``."""
    credentials_secret: str
    """A basic-auth Secret (``username``, ``password``) of the loader's Elasticsearch user."""


@dataclass(frozen=True)
class ConnectCluster:
    """Everything the ``KafkaConnect`` needs, and what its connectors and topics share."""

    name: str
    namespace: Any
    kafka_cluster: str
    """The Strimzi Kafka the workers use; its topics carry its name as their cluster label."""
    bootstrap: Any
    """``host:port`` of the Kafka cluster's TLS listener."""
    kafka_ca_secret: str
    """The Secret with the CA of the brokers' certificates (``ca.crt``)."""
    authentication: Authentication
    user: str
    """The loader's KafkaUser, whose Secret holds its certificate or password."""
    elasticsearch: ElasticsearchTarget
    metrics: MetricsSource
    delivery: PluginDelivery = PluginDelivery.IMAGE
    image: str | None = None
    """The Connect image: required with IMAGE, Strimzi's own for ``version`` when None."""
    plugin_image: str | None = None
    """The plugin's OCI image: required with IMAGE_ARTIFACT, unused otherwise."""
    version: str | None = None
    """Kafka version of the Connect image (Strimzi's default when None)."""
    replicas: int = 2
    resources: Resources = field(default_factory=Resources)
    internal_topic_replicas: int = 3
    """Replication factor of the config, offset and status topics."""
    topology_key: str = ZONE_TOPOLOGY_KEY
    strict_zone_spread: bool = True
    use_stork: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    """Labels of every resource (Strimzi copies the KafkaConnect's onto what it creates)."""
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels of the worker pods only (the pipeline stage, which other elements' flows admit)."""
    api_version: str = API_V1

    def __post_init__(self) -> None:
        if self.api_version not in API_VERSIONS:
            raise ValueError(
                f"Strimzi apiVersion {self.api_version!r} is not one of {', '.join(API_VERSIONS)}"
            )
        if self.delivery is PluginDelivery.IMAGE and self.image is None:
            raise ValueError(
                f"KafkaConnect {self.name}: image delivery needs the Connect image that holds "
                "the Elasticsearch sink plugin"
            )
        if self.delivery is PluginDelivery.IMAGE_ARTIFACT and self.plugin_image is None:
            raise ValueError(f"KafkaConnect {self.name}: imageArtifact delivery needs plugin_image")
        if self.delivery is PluginDelivery.IMAGE and self.plugin_image is not None:
            raise ValueError(
                f"KafkaConnect {self.name}: plugin_image is only used with imageArtifact delivery"
            )
        if self.replicas < 1 or self.internal_topic_replicas < 1:
            raise ValueError(
                f"KafkaConnect {self.name}: replicas and internal_topic_replicas must be >= 1"
            )

    @property
    def pods(self) -> dict[str, str]:
        """Labels that select the worker pods (and nothing of the Kafka cluster)."""
        return {CLUSTER_LABEL: self.name, KIND_LABEL: "KafkaConnect"}


@dataclass(frozen=True)
class SinkConnector:
    """One Elasticsearch sink: its topics, parallelism, index naming and dead letters."""

    name: str
    topics: tuple[str, ...]
    tasks_max: int = 1
    index: str | None = None
    """One index or alias for every topic; None: each topic into an index of its own name."""
    index_is_alias: bool = False
    dead_letter_partitions: int = 1
    dead_letter_replicas: int = 3

    def __post_init__(self) -> None:
        if not self.topics:
            raise ValueError(f"connector {self.name}: give the topics it loads")
        if self.tasks_max < 1 or self.dead_letter_partitions < 1 or self.dead_letter_replicas < 1:
            raise ValueError(
                f"connector {self.name}: tasks_max and the dead-letter topic's partitions and "
                "replicas must be >= 1"
            )
        if self.index_is_alias and self.index is None:
            raise ValueError(f"connector {self.name}: an alias needs the index name")
        reserved = sorted(t for t in self.topics if _is_loader_topic(t))
        if reserved:
            raise ValueError(
                f"connector {self.name}: topics {', '.join(reserved)} are the loader's own "
                f"({INTERNAL_TOPIC_PREFIX}*, {DEAD_LETTER_TOPIC_PREFIX}*)"
            )

    @property
    def group(self) -> str:
        return sink_group(self.name)

    @property
    def dead_letter_topic(self) -> str:
        return f"{DEAD_LETTER_TOPIC_PREFIX}{self.name}"


def _is_loader_topic(topic: str) -> bool:
    return topic.startswith((INTERNAL_TOPIC_PREFIX, DEAD_LETTER_TOPIC_PREFIX))


def connect_body(connect: ConnectCluster) -> dict[str, Any]:
    """The ``KafkaConnect``: TLS to Kafka as the loader's user, connectors managed as
    resources, Elasticsearch's Secrets mounted for the config provider, restricted pods."""
    worker = {"groupId": WORKER_GROUP, **INTERNAL_TOPICS}
    config: dict[str, Any] = {
        # Replication of the topics Connect creates for its own state (RF 3 with the cluster's
        # min ISR 2, as for data topics: losing the config topic loses every connector).
        "config.storage.replication.factor": connect.internal_topic_replicas,
        "offset.storage.replication.factor": connect.internal_topic_replicas,
        "status.storage.replication.factor": connect.internal_topic_replicas,
        "config.providers": "directory",
        "config.providers.directory.class": _DIRECTORY_PROVIDER,
        # KIP-993 (Kafka >= 3.8): the provider reads these directories and no other file.
        "config.providers.directory.param.allowed.paths": f"{ES_CREDENTIALS_DIR},{ES_CA_DIR}",
    }
    spec: dict[str, Any] = {"replicas": connect.replicas}
    if connect.version is not None:
        spec["version"] = connect.version
    if connect.image is not None:
        spec["image"] = connect.image
    spec["bootstrapServers"] = connect.bootstrap
    if connect.api_version == API_V1:
        spec.update(worker)
    else:
        config.update({_V1BETA2_WORKER_KEYS[key]: value for key, value in worker.items()})
    spec["tls"] = {
        "trustedCertificates": [{"secretName": connect.kafka_ca_secret, "certificate": CA_CERT_KEY}]
    }
    spec["authentication"] = _authentication(connect)
    spec["config"] = config
    spec["resources"] = connect.resources.to_dict()
    spec["metricsConfig"] = {
        "type": "jmxPrometheusExporter",
        "valueFrom": {
            "configMapKeyRef": {"name": connect.metrics.config_map, "key": connect.metrics.key}
        },
    }
    spec["template"] = _template(connect)
    if connect.delivery is PluginDelivery.IMAGE_ARTIFACT:
        spec["plugins"] = [
            {
                "name": "kafka-connect-elasticsearch",
                "artifacts": [{"type": "image", "reference": connect.plugin_image}],
            }
        ]
    return resource_body(
        connect,
        "KafkaConnect",
        connect.name,
        annotations={USE_CONNECTOR_RESOURCES: "true"},
        spec=spec,
    )


def connector_body(connect: ConnectCluster, connector: SinkConnector) -> dict[str, Any]:
    """The ``KafkaConnector``: JSON documents into Elasticsearch over TLS, bad records to the
    connector's dead-letter topic, credentials read by the config provider."""
    spec: dict[str, Any] = {"class": CONNECTOR_CLASS, "tasksMax": connector.tasks_max}
    if connect.api_version == API_V1:
        spec["version"] = CONNECTOR_VERSIONS
    spec["autoRestart"] = {"enabled": True}
    spec["config"] = {
        "topics": ",".join(connector.topics),
        "connection.url": connect.elasticsearch.url,
        "connection.username": directory_reference(ES_CREDENTIALS_DIR, ES_USERNAME_KEY),
        "connection.password": directory_reference(ES_CREDENTIALS_DIR, ES_PASSWORD_KEY),
        # ECK's self-signed CA, read as PEM: no keystore to build, no truststore password.
        "elastic.security.protocol": "SSL",
        "elastic.https.ssl.truststore.type": "PEM",
        "elastic.https.ssl.truststore.location": f"{ES_CA_DIR}/{CA_CERT_KEY}",
        # Schemaless JSON: Elasticsearch maps fields dynamically (or by its index templates),
        # and each record's id is topic+partition+offset, so a replay never duplicates it.
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": False,
        "key.ignore": True,
        "schema.ignore": True,
        # A tombstone has no document to index: skip it rather than stop the task.
        "behavior.on.null.values": "ignore",
        # Documents Elasticsearch rejects go to the dead letters (errant record reporter).
        "behavior.on.malformed.documents": "warn",
        "errors.tolerance": "all",
        "errors.log.enable": True,
        # Records may hold personal data: the log says what failed, the dead letters hold it.
        "errors.log.include.messages": False,
        "errors.deadletterqueue.topic.name": connector.dead_letter_topic,
        "errors.deadletterqueue.topic.replication.factor": connector.dead_letter_replicas,
        "errors.deadletterqueue.context.headers.enable": True,
        **_index_config(connector),
    }
    return resource_body(
        connect,
        "KafkaConnector",
        connector.name,
        labels={CLUSTER_LABEL: connect.name},
        spec=spec,
    )


def dead_letter_topic_body(connect: ConnectCluster, connector: SinkConnector) -> dict[str, Any]:
    """The ``KafkaTopic`` a connector's rejected records go to, in the pipeline's Kafka."""
    topic = connector.dead_letter_topic
    return resource_body(
        connect,
        "KafkaTopic",
        topic_resource_name(topic),
        labels={CLUSTER_LABEL: connect.kafka_cluster},
        spec={
            "topicName": topic,
            "partitions": connector.dead_letter_partitions,
            "replicas": connector.dead_letter_replicas,
            "config": {},
        },
    )


def _index_config(connector: SinkConnector) -> dict[str, str]:
    """Index naming: the topic's name (the connector's default, created on first write), or
    one index or alias for every topic, which must exist before the connector starts."""
    if connector.index is None:
        return {}
    return {
        "external.resource.usage": "ALIAS_INDEX" if connector.index_is_alias else "INDEX",
        "topic.to.external.resource.mapping": ",".join(
            f"{topic}:{connector.index}" for topic in connector.topics
        ),
    }


def _authentication(connect: ConnectCluster) -> dict[str, Any]:
    if connect.authentication is Authentication.TLS:
        return {
            "type": "tls",
            "certificateAndKey": {
                "secretName": connect.user,
                "certificate": "user.crt",
                "key": "user.key",
            },
        }
    return {
        "type": connect.authentication.value,
        "username": connect.user,
        "passwordSecret": {"secretName": connect.user, "password": "password"},
    }


def _template(connect: ConnectCluster) -> dict[str, Any]:
    elasticsearch = connect.elasticsearch
    pod: dict[str, Any] = {"metadata": {"labels": dict(connect.pod_labels)}}
    if connect.use_stork:
        pod["schedulerName"] = STORK_SCHEDULER
    pod["securityContext"] = restricted_pod_security_context()
    pod["topologySpreadConstraints"] = zone_spread(
        connect.pods, connect.topology_key, strict=connect.strict_zone_spread
    )
    pod["volumes"] = [
        {
            "name": "elasticsearch-credentials",
            "secret": {
                "secretName": elasticsearch.credentials_secret,
                "items": [
                    {"key": ES_USERNAME_KEY, "path": ES_USERNAME_KEY},
                    {"key": ES_PASSWORD_KEY, "path": ES_PASSWORD_KEY},
                ],
            },
        },
        {
            "name": "elasticsearch-ca",
            "secret": {
                "secretName": elasticsearch.ca_secret,
                "items": [{"key": CA_CERT_KEY, "path": CA_CERT_KEY}],
            },
        },
    ]
    return {
        "pod": pod,
        "connectContainer": {
            "securityContext": restricted_container_security_context(),
            "volumeMounts": [
                {
                    "name": "elasticsearch-credentials",
                    "mountPath": ES_CREDENTIALS_DIR,
                    "readOnly": True,
                },
                {"name": "elasticsearch-ca", "mountPath": ES_CA_DIR, "readOnly": True},
            ],
        },
        # Never more than one worker down at a time during a drain.
        "podDisruptionBudget": {"maxUnavailable": 1},
    }
