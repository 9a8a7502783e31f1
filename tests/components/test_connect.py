"""Connect bodies: valid against the v1 CRDs, restricted, secrets by reference, exact config."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from components.connect import (
    ConnectCluster,
    ElasticsearchTarget,
    PluginDelivery,
    SinkConnector,
    connect_body,
    connector_body,
    dead_letter_topic_body,
)
from components.pods import Resources
from components.strimzi import API_V1BETA2, Authentication, MetricsSource, User
from tests.schemas import validate_custom

RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}
ELASTICSEARCH = ElasticsearchTarget(
    url="https://clicks-es-http.dp-clicks.svc:9200",
    ca_secret="clicks-es-http-certs-public",
    credentials_secret="clicks-loader-es-user",
)
EVENTS = SinkConnector("events", ("clicks", "sessions"), tasks_max=4)


def connect(**changes) -> ConnectCluster:
    settings = {
        "name": "clicks-loader",
        "namespace": "dp-clicks",
        "kafka_cluster": "clicks",
        "bootstrap": "clicks-kafka-bootstrap.dp-clicks.svc:9093",
        "kafka_ca_secret": "clicks-cluster-ca-cert",
        "authentication": Authentication.TLS,
        "user": "clicks-loader",
        "elasticsearch": ELASTICSEARCH,
        "metrics": MetricsSource("clicks-loader-connect-metrics", "metrics-config.yml"),
        "image": "registry.example.com/connect-elasticsearch:16.0.1",
        "resources": Resources({"cpu": "500m", "memory": "2Gi"}, {"memory": "2Gi"}),
        "labels": {"app.kubernetes.io/part-of": "data-pipeline"},
        "pod_labels": {"data-pipeline.io/stage": "loader"},
    }
    return ConnectCluster(**{**settings, **changes})


@pytest.mark.parametrize(
    "cluster",
    [
        connect(),
        connect(use_stork=True, authentication=Authentication.SCRAM_SHA_512),
        connect(
            delivery=PluginDelivery.IMAGE_ARTIFACT,
            image=None,
            plugin_image="registry.example.com/kafka-connect-elasticsearch:16.0.1",
        ),
    ],
    ids=["image", "stork-scram", "image-artifact"],
)
def test_every_body_is_valid_against_the_crds(cluster: ConnectCluster, crds_dir: Path):
    alias = SinkConnector("archive", ("clicks",), index="clicks-all", index_is_alias=True)
    for body in (
        connect_body(cluster),
        connector_body(cluster, EVENTS),
        connector_body(cluster, alias),
        dead_letter_topic_body(cluster, EVENTS),
    ):
        validate_custom(body, crds_dir)


def test_the_workers_keep_their_state_in_replicated_internal_topics_and_manage_connectors():
    body = connect_body(connect(internal_topic_replicas=3))
    assert body["metadata"]["annotations"] == {"strimzi.io/use-connector-resources": "true"}
    spec = body["spec"]
    assert (
        spec["groupId"],
        spec["configStorageTopic"],
        spec["offsetStorageTopic"],
        spec["statusStorageTopic"],
    ) == (
        "loader-workers",
        "loader-internal-configs",
        "loader-internal-offsets",
        "loader-internal-status",
    )
    assert spec["config"] == {
        "config.storage.replication.factor": 3,
        "offset.storage.replication.factor": 3,
        "status.storage.replication.factor": 3,
        "config.providers": "directory",
        "config.providers.directory.class": (
            "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
        ),
        "config.providers.directory.param.allowed.paths": (
            "/mnt/elasticsearch-credentials,/mnt/elasticsearch-ca"
        ),
    }
    assert spec["metricsConfig"] == {
        "type": "jmxPrometheusExporter",
        "valueFrom": {
            "configMapKeyRef": {
                "name": "clicks-loader-connect-metrics",
                "key": "metrics-config.yml",
            }
        },
    }
    assert spec["resources"] == {
        "requests": {"cpu": "500m", "memory": "2Gi"},
        "limits": {"memory": "2Gi"},
    }


def test_elasticsearchs_secrets_are_mounted_read_only_under_mnt_in_restricted_pods():
    template = connect_body(connect())["spec"]["template"]
    assert template["pod"]["volumes"] == [
        {
            "name": "elasticsearch-credentials",
            "secret": {
                "secretName": "clicks-loader-es-user",
                "items": [
                    {"key": "username", "path": "username"},
                    {"key": "password", "path": "password"},
                ],
            },
        },
        {
            "name": "elasticsearch-ca",
            "secret": {
                "secretName": "clicks-es-http-certs-public",
                "items": [{"key": "ca.crt", "path": "ca.crt"}],
            },
        },
    ]
    assert template["connectContainer"] == {
        "securityContext": RESTRICTED_CONTAINER,
        "volumeMounts": [
            {
                "name": "elasticsearch-credentials",
                "mountPath": "/mnt/elasticsearch-credentials",
                "readOnly": True,
            },
            {"name": "elasticsearch-ca", "mountPath": "/mnt/elasticsearch-ca", "readOnly": True},
        ],
    }
    assert template["pod"]["securityContext"] == {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert template["podDisruptionBudget"] == {"maxUnavailable": 1}


@pytest.mark.parametrize(("stork", "scheduler"), [(True, "stork"), (False, None)])
def test_workers_spread_over_zones_and_use_stork_when_asked(stork, scheduler):
    pod = connect_body(connect(use_stork=stork, strict_zone_spread=False))["spec"]["template"][
        "pod"
    ]
    assert pod.get("schedulerName") == scheduler
    assert pod["metadata"] == {"labels": {"data-pipeline.io/stage": "loader"}}
    assert pod["topologySpreadConstraints"] == [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {
                "matchLabels": {
                    "strimzi.io/cluster": "clicks-loader",
                    "strimzi.io/kind": "KafkaConnect",
                }
            },
        }
    ]


def test_the_connector_reads_credentials_through_the_provider_and_tolerates_bad_records():
    body = connector_body(connect(), EVENTS)
    assert body["metadata"]["name"] == "events"
    assert body["metadata"]["labels"]["strimzi.io/cluster"] == "clicks-loader"
    spec = body["spec"]
    assert spec["class"] == "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector"
    assert spec["tasksMax"] == 4
    assert spec["version"] == "[16.0.0,)"
    assert spec["autoRestart"] == {"enabled": True}
    assert spec["config"] == {
        "topics": "clicks,sessions",
        "connection.url": "https://clicks-es-http.dp-clicks.svc:9200",
        "connection.username": "${directory:/mnt/elasticsearch-credentials:username}",
        "connection.password": "${directory:/mnt/elasticsearch-credentials:password}",
        "elastic.security.protocol": "SSL",
        "elastic.https.ssl.truststore.type": "PEM",
        "elastic.https.ssl.truststore.location": "/mnt/elasticsearch-ca/ca.crt",
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "org.apache.kafka.connect.json.JsonConverter",
        "value.converter.schemas.enable": False,
        "key.ignore": True,
        "schema.ignore": True,
        "behavior.on.null.values": "ignore",
        "behavior.on.malformed.documents": "warn",
        "errors.tolerance": "all",
        "errors.log.enable": True,
        "errors.log.include.messages": False,
        "errors.deadletterqueue.topic.name": "loader-dlq-events",
        "errors.deadletterqueue.topic.replication.factor": 3,
        "errors.deadletterqueue.context.headers.enable": True,
    }


@pytest.mark.parametrize(("alias", "usage"), [(False, "INDEX"), (True, "ALIAS_INDEX")])
def test_a_fixed_index_or_alias_takes_every_topic(alias, usage):
    connector = SinkConnector("events", ("clicks", "sessions"), index="web", index_is_alias=alias)
    config = connector_body(connect(), connector)["spec"]["config"]
    assert config["external.resource.usage"] == usage
    assert config["topic.to.external.resource.mapping"] == "clicks:web,sessions:web"


def test_the_dead_letter_topic_belongs_to_the_kafka_cluster():
    connector = SinkConnector(
        "events", ("clicks",), dead_letter_partitions=2, dead_letter_replicas=2
    )
    body = dead_letter_topic_body(connect(), connector)
    assert body["metadata"]["name"] == "loader-dlq-events"
    assert body["metadata"]["labels"]["strimzi.io/cluster"] == "clicks"
    assert body["spec"] == {
        "topicName": "loader-dlq-events",
        "partitions": 2,
        "replicas": 2,
        "config": {},
    }


def test_v1beta2_puts_the_worker_group_and_topics_in_config_and_drops_the_plugin_version():
    old = connect(api_version=API_V1BETA2)
    body = connect_body(old)
    assert body["apiVersion"] == "kafka.strimzi.io/v1beta2"
    assert not {"groupId", "configStorageTopic", "offsetStorageTopic", "statusStorageTopic"} & set(
        body["spec"]
    )
    assert {
        key: body["spec"]["config"][key]
        for key in (
            "group.id",
            "config.storage.topic",
            "offset.storage.topic",
            "status.storage.topic",
        )
    } == {
        "group.id": "loader-workers",
        "config.storage.topic": "loader-internal-configs",
        "offset.storage.topic": "loader-internal-offsets",
        "status.storage.topic": "loader-internal-status",
    }
    connector = connector_body(old, EVENTS)
    assert connector["apiVersion"] == "kafka.strimzi.io/v1beta2"
    assert "version" not in connector["spec"]
    assert dead_letter_topic_body(old, EVENTS)["apiVersion"] == "kafka.strimzi.io/v1beta2"


def test_the_connect_users_acls_cover_its_groups_and_own_topics_only():
    user = User(
        "clicks-loader",
        produces=("loader-dlq-events",),
        consumes=("clicks",),
        group="loader-workers",
        extra_groups=("connect-events", "loader-workers"),
        owned_topic_prefix="loader-internal-",
    )
    assert user.acls() == [
        {
            "resource": {"type": "topic", "name": "clicks", "patternType": "literal"},
            "operations": ["Read", "Describe"],
        },
        {
            "resource": {"type": "topic", "name": "loader-dlq-events", "patternType": "literal"},
            "operations": ["Write", "Describe"],
        },
        {
            "resource": {"type": "topic", "name": "loader-internal-", "patternType": "prefix"},
            "operations": ["Create", "Read", "Write", "Describe", "DescribeConfigs"],
        },
        {
            "resource": {"type": "group", "name": "loader-workers", "patternType": "literal"},
            "operations": ["Read"],
        },
        {
            "resource": {"type": "group", "name": "connect-events", "patternType": "literal"},
            "operations": ["Read"],
        },
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"produces": ("t",), "extra_groups": ("g",)},
            "user u: extra groups need the consumer's own group",
        ),
        (
            {
                "consumes": ("loader-internal-configs",),
                "group": "g",
                "owned_topic_prefix": "loader-internal-",
            },
            "user u: topics loader-internal-configs fall under its own prefix 'loader-internal-'",
        ),
    ],
)
def test_the_connect_user_refuses(changes, message):
    with pytest.raises(ValueError) as refused:
        User(**{"name": "u", **changes})
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"image": None},
            "KafkaConnect clicks-loader: image delivery needs the Connect image that holds the "
            "Elasticsearch sink plugin",
        ),
        (
            {"delivery": PluginDelivery.IMAGE_ARTIFACT},
            "KafkaConnect clicks-loader: imageArtifact delivery needs plugin_image",
        ),
        (
            {"plugin_image": "registry.example.com/plugin:1"},
            "KafkaConnect clicks-loader: plugin_image is only used with imageArtifact delivery",
        ),
        (
            {"replicas": 0},
            "KafkaConnect clicks-loader: replicas and internal_topic_replicas must be >= 1",
        ),
        (
            {"api_version": "kafka.strimzi.io/v1alpha1"},
            "Strimzi apiVersion 'kafka.strimzi.io/v1alpha1' is not one of kafka.strimzi.io/v1, "
            "kafka.strimzi.io/v1beta2",
        ),
    ],
)
def test_the_connect_cluster_refuses(changes, message):
    with pytest.raises(ValueError) as refused:
        connect(**changes)
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"topics": ()}, "connector events: give the topics it loads"),
        (
            {"tasks_max": 0},
            "connector events: tasks_max and the dead-letter topic's partitions and replicas "
            "must be >= 1",
        ),
        ({"index_is_alias": True}, "connector events: an alias needs the index name"),
        (
            {"topics": ("clicks", "loader-dlq-other", "loader-internal-status")},
            "connector events: topics loader-dlq-other, loader-internal-status are the loader's "
            "own (loader-internal-*, loader-dlq-*)",
        ),
    ],
)
def test_a_connector_refuses(changes, message):
    with pytest.raises(ValueError) as refused:
        dataclasses.replace(EVENTS, **changes)
    assert str(refused.value) == message
