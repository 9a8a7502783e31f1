"""The Loader under mocks beside a real KafkaCluster: user, waits, flows, monitoring, no secret.

Runs the real program on a pipeline with Kafka, Elasticsearch and the loader.
"""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.offline import ProgramRun
from tests.conftest import by_name, minimal_config, of_kind, run_with_config

ES_PODS = {"elasticsearch.k8s.elastic.co/cluster-name": "clicks"}
LOADER = {
    "image": "registry.example.com/connect-elasticsearch:16.0.1-kafka-4.3.1",
    "connectors": {
        "events": {"topics": ["clicks", "sessions"], "tasksMax": 4},
        "archive": {"topics": ["clicks"], "index": {"name": "clicks-all", "alias": True}},
    },
}


ES = {
    "nodeSets": "combined",
    "data": {
        "count": 3,
        "storage": "10Gi",
        "heap": "1Gi",
        "resources": {
            "requests": {"cpu": "1", "memory": "2Gi"},
            "limits": {"cpu": "1", "memory": "2Gi"},
        },
    },
}


def run_loader(loader: dict | None = None, kafka: dict | None = None, **stack: Any) -> ProgramRun:
    """The real program on a pipeline with Kafka, Elasticsearch and the loader."""
    return run_with_config(
        minimal_config(
            storage={"classes": {"replicated": {"repl": 2}}},
            pipelines={
                "clicks": {
                    "storage": {"replicated": "1Ti"},
                    "kafka": {
                        "nodePools": "combined",
                        "topics": {"clicks": {}, "sessions": {}},
                        "clients": {"web": {"produces": ["clicks"]}},
                        **(kafka or {}),
                    },
                    "elasticsearch": ES,
                    "loader": loader or LOADER,
                }
            },
            **stack,
        )
    )


def kinds(run: ProgramRun, kind: str) -> dict[str, dict]:
    return {r.props["metadata"]["name"]: r.props for r in of_kind(run, kind)}


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return run_loader(monitoring={"selectorLabels": {"release": "prom"}})


def test_the_loaders_kafka_user_has_exactly_its_acls(run):
    user = kinds(run, "KafkaUser")["clicks-loader"]
    assert user["metadata"]["labels"]["strimzi.io/cluster"] == "clicks"
    assert user["spec"] == {
        "authentication": {"type": "tls"},
        "authorization": {
            "type": "simple",
            "acls": [
                {
                    "resource": {"type": "topic", "name": name, "patternType": "literal"},
                    "operations": operations,
                }
                for name, operations in [
                    ("clicks", ["Read", "Describe"]),
                    ("loader-dlq-archive", ["Write", "Describe"]),
                    ("loader-dlq-events", ["Write", "Describe"]),
                    ("sessions", ["Read", "Describe"]),
                ]
            ]
            + [
                {
                    "resource": {
                        "type": "topic",
                        "name": "loader-internal-",
                        "patternType": "prefix",
                    },
                    "operations": ["Create", "Read", "Write", "Describe", "DescribeConfigs"],
                }
            ]
            + [
                {
                    "resource": {"type": "group", "name": group, "patternType": "literal"},
                    "operations": ["Read"],
                }
                for group in ("loader-workers", "connect-archive", "connect-events")
            ],
        },
    }


def test_the_workers_use_the_users_secret_and_the_kafka_ca_over_tls(run):
    spec = kinds(run, "KafkaConnect")["clicks-loader"]["spec"]
    assert spec["bootstrapServers"] == "clicks-kafka-bootstrap.data-pipeline-clicks.svc:9093"
    assert spec["tls"] == {
        "trustedCertificates": [{"secretName": "clicks-cluster-ca-cert", "certificate": "ca.crt"}]
    }
    assert spec["authentication"] == {
        "type": "tls",
        "certificateAndKey": {
            "secretName": "clicks-loader",
            "certificate": "user.crt",
            "key": "user.key",
        },
    }
    assert spec["image"] == LOADER["image"]
    assert spec["version"] == "4.3.1"
    assert "plugins" not in spec and "build" not in spec


def test_scram_clusters_get_a_scram_connect():
    run = run_loader(kafka={"authentication": "scram-sha-512"})
    spec = kinds(run, "KafkaConnect")["clicks-loader"]["spec"]
    assert spec["authentication"] == {
        "type": "scram-sha-512",
        "username": "clicks-loader",
        "passwordSecret": {"secretName": "clicks-loader", "password": "password"},
    }
    user = kinds(run, "KafkaUser")["clicks-loader"]
    assert user["spec"]["authentication"] == {"type": "scram-sha-512"}


def test_image_artifacts_mount_the_plugin_on_strimzis_image():
    loader = {
        "connectors": LOADER["connectors"],
        "pluginDelivery": "imageArtifact",
        "pluginImage": "registry.example.com/kafka-connect-elasticsearch@sha256:" + "a" * 64,
    }
    spec = kinds(run_loader(loader), "KafkaConnect")["clicks-loader"]["spec"]
    assert "image" not in spec
    assert spec["plugins"] == [
        {
            "name": "kafka-connect-elasticsearch",
            "artifacts": [{"type": "image", "reference": loader["pluginImage"]}],
        }
    ]


def test_everything_waits_for_the_operator_and_the_kafka_cluster(run):
    resources = by_name(run.resources)
    kafka = next(r for r in of_kind(run, "Kafka") if r.name == "clicks")
    metrics = resources["clicks-loader-metrics"]
    workers = resources["clicks-loader"]
    for name in (
        "clicks-loader",
        "clicks-loader-events",
        "clicks-loader-archive",
        "clicks-loader-dlq-events",
        "clicks-loader-dlq-archive",
        "clicks-user-clicks-loader",
    ):
        resource = resources[name]
        assert kafka.urn in resource.dependencies, name
        assert any(
            urn.endswith("CustomResourceDefinition::strimzi-crd") for urn in resource.dependencies
        ), name
        assert resource.props["metadata"]["annotations"]["pulumi.com/waitFor"] == (
            "condition=Ready"
        )
    assert metrics.urn in workers.dependencies
    connector = resources["clicks-loader-events"]
    assert {workers.urn, resources["clicks-loader-dlq-events"].urn} <= set(connector.dependencies)


def test_dead_letter_topics_are_retained_and_nothing_else(run):
    retained = {r.name for r in run.resources if r.retain_on_delete and r.component == "clicks"}
    assert {"clicks-loader-dlq-events", "clicks-loader-dlq-archive"} <= retained
    assert not {"clicks-loader", "clicks-loader-events"} & retained
    topics = kinds(run, "KafkaTopic")
    assert topics["loader-dlq-events"]["spec"] == {
        "topicName": "loader-dlq-events",
        "partitions": 1,
        "replicas": 3,
        "config": {},
    }


def test_no_password_in_any_resource_of_the_loader(run):
    connectors = kinds(run, "KafkaConnector")
    assert set(connectors) == {"events", "archive"}
    for connector in connectors.values():
        config = connector["spec"]["config"]
        assert config["connection.username"] == (
            "${directory:/mnt/elasticsearch-credentials:username}"
        )
        assert config["connection.password"] == (
            "${directory:/mnt/elasticsearch-credentials:password}"
        )
        assert config["connection.url"] == ("https://clicks-es-http.data-pipeline-clicks.svc:9200")
    # Every value that speaks of a password only names where it is: the provider reference
    # and the key of the basic-auth Secret; the loader itself creates no Secret. Its
    # Elasticsearch user is the Elasticsearch element's, its password a Pulumi secret.
    es_user = by_name(of_kind(run, "Secret"))["clicks-loader-es-user"]
    assert es_user.props["stringData"]["password"] == "[secret]"
    loader = [r for r in run.resources if "loader" in r.name and r is not es_user]
    assert not [r for r in loader if r.type.endswith(":Secret")]
    assert {text for r in loader for text in _strings(r.props) if "password" in text} == {
        "${directory:/mnt/elasticsearch-credentials:password}",
        "password",
    }


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return [value] if isinstance(value, str) else []


def test_the_loader_opens_exactly_its_flows(run):
    policy = by_name(of_kind(run, "NetworkPolicy"))["clicks-loader-flows"].props
    assert policy["metadata"]["name"] == "allow-loader-clicks"
    spec = policy["spec"]
    workers = {"strimzi.io/cluster": "clicks-loader", "strimzi.io/kind": "KafkaConnect"}
    assert spec["podSelector"] == {"matchLabels": workers}
    reasons = policy["metadata"]["annotations"]

    def flows(direction: str, key: str) -> dict[str, tuple[list, list]]:
        return {
            reasons[f"data-pipeline.io/{direction}-{index}"]: (
                rule[key],
                [port["port"] for port in rule["ports"]],
            )
            for index, rule in enumerate(spec[direction])
        }

    assert flows("ingress", "from") == {
        "workers forward REST calls to the leader": (
            [{"podSelector": {"matchLabels": workers}}],
            [8083],
        ),
        "the Strimzi operator manages connectors over the REST API": (
            [
                {
                    "podSelector": {"matchLabels": {}},
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "strimzi"}
                    },
                }
            ],
            [8083],
        ),
        "Prometheus scrapes metrics": (
            [
                {
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                    },
                }
            ],
            [9404],
        ),
    }
    assert flows("egress", "to") == {
        "read topics, write dead letters and keep Connect's state in Kafka": (
            [
                {
                    "podSelector": {
                        "matchLabels": {"strimzi.io/cluster": "clicks", "strimzi.io/kind": "Kafka"}
                    }
                }
            ],
            [9093],
        ),
        "index documents in Elasticsearch": ([{"podSelector": {"matchLabels": ES_PODS}}], [9200]),
        "workers forward REST calls to the leader": (
            [{"podSelector": {"matchLabels": workers}}],
            [8083],
        ),
    }


def test_the_workers_carry_the_loader_stage_label_for_elasticsearchs_flows(run):
    pod = kinds(run, "KafkaConnect")["clicks-loader"]["spec"]["template"]["pod"]
    assert pod["metadata"] == {"labels": {"data-pipeline.io/stage": "loader"}}


def test_monitoring_scrapes_the_workers_and_alerts_on_the_sink_groups(run):
    monitors = kinds(run, "PodMonitor")
    assert monitors["clicks-loader-connect"]["metadata"]["labels"]["release"] == "prom"
    assert monitors["clicks-loader-connect"]["spec"]["selector"] == {
        "matchLabels": {"strimzi.io/cluster": "clicks-loader", "strimzi.io/kind": "KafkaConnect"}
    }
    rule = kinds(run, "PrometheusRule")["clicks-loader-connect"]
    (group,) = rule["spec"]["groups"]
    assert group["name"] == "loader-data-pipeline-clicks-clicks-loader"
    lag = next(r for r in group["rules"] if r["alert"] == "LoaderConsumerLagHigh")
    assert lag["expr"] == (
        "sum by (namespace, consumergroup, topic) (kafka_consumergroup_lag{"
        'namespace="data-pipeline-clicks", strimzi_io_cluster="clicks", '
        'consumergroup=~"connect-events|connect-archive"}) > 10000'
    )
