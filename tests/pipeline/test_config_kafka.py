"""The Kafka, operators and monitoring sections: defaults and the exact message per bad value."""

from __future__ import annotations

import pytest

from pipeline.config import ConfigError, parse_config
from tests.conftest import minimal_config

NODES = {
    "replicas": 3,
    "storage": "1Gi",
    "heap": "1Gi",
    "resources": {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"cpu": "1", "memory": "2Gi"},
    },
}


def with_kafka(**kafka) -> dict:
    return minimal_config(
        pipelines={
            "clicks": {
                "storage": {"db": "1Ti"},
                "kafka": {"storageRole": "db", "topics": {"events": {}}, **kafka},
            }
        }
    )


def error_of(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return str(caught.value).splitlines()


def test_kafka_defaults_follow_the_vendors_guidance():
    kafka = parse_config(with_kafka()).pipelines["clicks"].kafka
    assert (kafka.node_pools, kafka.controllers.replicas, kafka.brokers.replicas) == (
        "dedicated",
        3,
        3,
    )
    assert kafka.brokers.heap == "4Gi" and kafka.brokers.resources.limits.memory == "8Gi"
    assert (kafka.authentication, kafka.plaintext_listener) == ("tls", False)
    assert kafka.topics["events"].replicas == 3
    config = parse_config(with_kafka())
    assert config.operators.strimzi.install is False
    assert config.operators.strimzi.api_version == "kafka.strimzi.io/v1"
    assert config.monitoring.enabled is True


@pytest.mark.parametrize(
    ("kafka", "lines"),
    [
        (
            {"storageRole": "shared"},
            [
                'data-pipeline:pipelines.clicks.kafka.storageRole: "shared" is not allowed '
                "(a role pipelines.clicks.storage claims: db)"
            ],
        ),
        (
            {"clients": {"web": {"produces": ["evnts"]}}},
            [
                'data-pipeline:pipelines.clicks.kafka.clients.web.produces[0]: "evnts" is not '
                "allowed (a topic of pipelines.clicks.kafka.topics: events)"
            ],
        ),
        (
            {"brokers": {**NODES, "heap": "1536Mi"}},
            [
                "data-pipeline:pipelines.clicks.kafka.brokers: heap 1536Mi is more than half of "
                "resources.limits.memory 2Gi (Kafka needs the rest for the page cache)"
            ],
        ),
        (
            {
                "brokers": {
                    **NODES,
                    "resources": {**NODES["resources"], "limits": {"cpu": "500m", "memory": "2Gi"}},
                }
            },
            [
                "data-pipeline:pipelines.clicks.kafka.brokers.resources: requests.cpu 1 is above "
                "limits.cpu 500m"
            ],
        ),
        (
            {"nodePools": "combined", "brokers": {**NODES, "replicas": 4}},
            [
                "data-pipeline:pipelines.clicks.kafka.brokers.replicas: 4 is not allowed (an odd "
                "number of KRaft controllers: a quorum of 4 tolerates no more failures than one "
                "of 3)"
            ],
        ),
        (
            {"plaintextListener": True},
            [
                "data-pipeline:pipelines.clicks.kafka.plaintextListener: needs authentication "
                "scram-sha-512 (TLS client certificates need TLS)"
            ],
        ),
        (
            {"config": {"default.replication.factor": 5}},
            [
                "data-pipeline:pipelines.clicks.kafka.config.default.replication.factor: 5 is not "
                "allowed (at most the 3 brokers)"
            ],
        ),
        (
            {"topics": {"events": {"replicas": 2, "config": {"min.insync.replicas": 3}}}},
            [
                "data-pipeline:pipelines.clicks.kafka.topics.events.config.min.insync.replicas: "
                "3 is not allowed (at most the topic's 2 replicas)"
            ],
        ),
        (
            {"topics": {"Events": {}}},
            [
                'data-pipeline:pipelines.clicks.kafka.topics.Events: "Events" is not allowed (a '
                "topic name of at most 100 characters: lowercase letters, digits, '.' and '-')"
            ],
        ),
        (
            {
                "config": {"default.replication.factor": "three", "min.insync.replicas": True},
                "topics": {"events": {"config": {"min.insync.replicas": "x"}}},
            },
            [
                "data-pipeline:pipelines.clicks.kafka.config.default.replication.factor: "
                '"three" is not allowed (a whole number)',
                "data-pipeline:pipelines.clicks.kafka.config.min.insync.replicas: true is not "
                "allowed (a whole number)",
                "data-pipeline:pipelines.clicks.kafka.topics.events.config.min.insync.replicas: "
                '"x" is not allowed (a whole number)',
            ],
        ),
        (
            {
                "topics": {"events": {}, "views": {}},
                "clients": {"web": {"produces": ["events", "views", "events", "views", "events"]}},
                "clientNamespaces": ["apps", "apps"],
            },
            [
                "data-pipeline:pipelines.clicks.kafka.clientNamespaces: lists apps 2 times",
                "data-pipeline:pipelines.clicks.kafka.clients.web.produces: lists events 3 "
                "times, views 2 times",
            ],
        ),
        (
            {"authentication": "plain"},
            [
                'data-pipeline:pipelines.clicks.kafka.authentication: "plain" is not allowed '
                "(one of 'tls' or 'scram-sha-512')"
            ],
        ),
    ],
)
def test_bad_kafka_settings_give_exact_messages(kafka, lines):
    assert error_of(with_kafka(**kafka)) == lines


def test_operator_and_monitoring_sections_reject_bad_values():
    raw = with_kafka()
    raw["operators"] = {"strimzi": {"apiVersion": "kafka.strimzi.io/v1alpha1", "instal": True}}
    raw["monitoring"] = {"namespace": "Monitoring"}
    assert error_of(raw) == [
        "data-pipeline:operators.strimzi.instal: unknown key (allowed here: apiVersion, "
        "chartVersion, install, namespace)",
        'data-pipeline:monitoring.namespace: "Monitoring" is not allowed (a DNS label: '
        "lowercase letters, digits and '-', at most 63 characters)",
    ]
