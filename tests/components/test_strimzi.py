"""Strimzi bodies: valid against the v1 CRDs, durable, least-privileged and restricted."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest

from components.pods import Resources
from components.strimzi import (
    API_V1,
    API_V1BETA2,
    DURABLE_BROKER_CONFIG,
    Authentication,
    ClientPeer,
    KafkaCluster,
    MetricsSource,
    NodePool,
    PatternType,
    Role,
    StrimziNames,
    Topic,
    User,
    check_cluster,
    kafka_body,
    node_pool_body,
    topic_body,
    topic_resource_name,
    user_body,
)
from tests.conftest import PROJECT_DIR
from tests.schemas import validate_custom

RESTRICTED_CONTAINER = {
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
}
RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
APP_NAMESPACE = ClientPeer(namespace_labels={"kubernetes.io/metadata.name": "dp-clicks"})


def cluster(**changes) -> KafkaCluster:
    settings = {
        "name": "events",
        "namespace": "dp-clicks",
        "client_peers": (APP_NAMESPACE,),
        "metrics": MetricsSource("events-metrics", "kafka-metrics-config.yml"),
        "labels": {"app.kubernetes.io/part-of": "data-pipeline"},
    }
    return KafkaCluster(**{**settings, **changes})


def pool(**changes) -> NodePool:
    settings = {
        "name": "broker",
        "roles": (Role.BROKER,),
        "replicas": 3,
        "node_ids": range(0, 100),
        "volume_size": "100Gi",
        "storage_class": "px-dev-db-1a2b3c",
        "resources": Resources(requests={"cpu": "1", "memory": "8Gi"}, limits={"memory": "8Gi"}),
        "heap": "4Gi",
    }
    return NodePool(**{**settings, **changes})


def controllers(**changes) -> NodePool:
    return pool(
        **{
            "name": "controller",
            "roles": (Role.CONTROLLER,),
            "node_ids": range(100, 110),
            "volume_size": "10Gi",
            "resources": Resources(requests={"memory": "2Gi"}, limits={"memory": "2Gi"}),
            "heap": "1Gi",
            **changes,
        }
    )


PRODUCER = User("clicks-ingest", produces=("clicks",))
CONSUMER = User("clicks-sink", consumes=("clicks",), group="connect-clicks-sink")


# --- every body against its CRD -------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"authentication": Authentication.SCRAM_SHA_512, "allow_plaintext": True},
        {"super_users": ("CN=admin",), "config": {"log.retention.hours": 168}},
    ],
    ids=["default", "plaintext", "super-users"],
)
def test_kafka_is_valid_v1(crds_dir, changes):
    validate_custom(kafka_body(cluster(**changes)), crds_dir)


@pytest.mark.parametrize(
    ("cluster_changes", "pool_changes"),
    [
        ({}, {}),
        ({"use_stork": True, "strict_zone_spread": False}, {"volumes": 2}),
        ({}, {"roles": (Role.BROKER, Role.CONTROLLER), "replicas": 1, "node_ids": range(7, 8)}),
    ],
    ids=["broker", "stork-jbod", "combined"],
)
def test_node_pool_is_valid_v1(crds_dir, cluster_changes, pool_changes):
    validate_custom(node_pool_body(cluster(**cluster_changes), pool(**pool_changes)), crds_dir)


def test_topic_is_valid_v1(crds_dir):
    topic = Topic("clicks", partitions=12, config={"retention.ms": 604800000})
    validate_custom(topic_body(cluster(), topic), crds_dir)


@pytest.mark.parametrize("authentication", list(Authentication))
@pytest.mark.parametrize("user", [PRODUCER, CONSUMER], ids=["producer", "consumer"])
def test_user_is_valid_v1(crds_dir, authentication, user):
    validate_custom(user_body(cluster(authentication=authentication), user), crds_dir)


# --- Kafka ----------------------------------------------------------------------------------


def test_kafka_metadata_and_versions():
    body = kafka_body(cluster())
    assert body["apiVersion"] == "kafka.strimzi.io/v1"
    assert body["kind"] == "Kafka"
    assert body["metadata"] == {
        "name": "events",
        "namespace": "dp-clicks",
        "labels": {"app.kubernetes.io/part-of": "data-pipeline"},
    }
    assert body["spec"]["kafka"]["version"] == "4.3.1"
    assert body["spec"]["kafka"]["metadataVersion"] == "4.3-IV0"


def test_metadata_version_follows_the_kafka_minor_or_the_stack():
    assert kafka_body(cluster(version="4.2.1"))["spec"]["kafka"]["metadataVersion"] == "4.2-IV1"
    explicit = cluster(version="4.2.1", metadata_version="4.2-IV0")
    assert kafka_body(explicit)["spec"]["kafka"]["metadataVersion"] == "4.2-IV0"
    with pytest.raises(
        ValueError,
        match=r"^Kafka events: no known KRaft metadata version for Kafka 4\.4\.0; "
        r"set metadata_version \(Strimzi 1\.2\.0 pairs 4\.2\.x with 4\.2-IV1, "
        r"4\.3\.x with 4\.3-IV0\)$",
    ):
        cluster(version="4.4.0")


def test_durable_broker_defaults():
    assert kafka_body(cluster())["spec"]["kafka"]["config"] == {
        "default.replication.factor": 3,
        "min.insync.replicas": 2,
        "offsets.topic.replication.factor": 3,
        "transaction.state.log.replication.factor": 3,
        "transaction.state.log.min.isr": 2,
        "unclean.leader.election.enable": False,
        "auto.create.topics.enable": False,
    }


def test_stack_config_is_laid_over_the_defaults():
    config = kafka_body(cluster(config={"log.retention.hours": 72, "min.insync.replicas": 1}))
    assert config["spec"]["kafka"]["config"] == {
        **DURABLE_BROKER_CONFIG,
        "min.insync.replicas": 1,
        "log.retention.hours": 72,
    }
    assert DURABLE_BROKER_CONFIG["min.insync.replicas"] == 2  # the defaults stay untouched


def test_one_tls_listener_restricted_to_the_peers():
    peers = (
        APP_NAMESPACE,
        ClientPeer(namespace_labels={"team": "bi"}, pod_labels={"app": "spark"}),
    )
    assert kafka_body(cluster(client_peers=peers))["spec"]["kafka"]["listeners"] == [
        {
            "name": "tls",
            "port": 9093,
            "type": "internal",
            "tls": True,
            "authentication": {"type": "tls"},
            "networkPolicyPeers": [
                {
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "dp-clicks"}
                    }
                },
                {
                    "namespaceSelector": {"matchLabels": {"team": "bi"}},
                    "podSelector": {"matchLabels": {"app": "spark"}},
                },
            ],
        }
    ]


def test_plaintext_listener_only_when_allowed_and_still_authenticated():
    scram = cluster(authentication=Authentication.SCRAM_SHA_512)
    assert [lst["name"] for lst in kafka_body(scram)["spec"]["kafka"]["listeners"]] == ["tls"]
    allowed = dataclasses.replace(scram, allow_plaintext=True)
    tls, plain = kafka_body(allowed)["spec"]["kafka"]["listeners"]
    assert tls["authentication"] == {"type": "scram-sha-512"}
    assert plain == {
        "name": "plain",
        "port": 9092,
        "type": "internal",
        "tls": False,
        "authentication": {"type": "scram-sha-512"},
        "networkPolicyPeers": tls["networkPolicyPeers"],
    }


def test_plaintext_listener_refused_with_certificate_authentication():
    with pytest.raises(
        ValueError,
        match=r"^Kafka events: a plaintext listener needs scram-sha-512 authentication "
        r"\(TLS client certificates need a TLS listener\)$",
    ):
        cluster(allow_plaintext=True)


def test_listeners_need_peers():
    with pytest.raises(ValueError, match=r"^Kafka events: name at least one client peer; "):
        cluster(client_peers=())
    with pytest.raises(ValueError, match=r"^a client peer needs namespace or pod labels"):
        ClientPeer(namespace_labels={})


def test_rack_needs_a_topology_key():
    with pytest.raises(
        ValueError, match=r"^Kafka events: topology_key must name the nodes' zone label$"
    ):
        cluster(topology_key="")


def test_simple_authorization_with_optional_super_users():
    assert kafka_body(cluster())["spec"]["kafka"]["authorization"] == {"type": "simple"}
    with_admin = kafka_body(cluster(super_users=("CN=admin",)))
    assert with_admin["spec"]["kafka"]["authorization"] == {
        "type": "simple",
        "superUsers": ["CN=admin"],
    }


def test_rack_metrics_and_disruption_budget():
    kafka = kafka_body(cluster(topology_key="example.com/room"))["spec"]["kafka"]
    assert kafka["rack"] == {"type": "topology-label", "topologyKey": "example.com/room"}
    assert kafka["metricsConfig"] == {
        "type": "jmxPrometheusExporter",
        "valueFrom": {
            "configMapKeyRef": {"name": "events-metrics", "key": "kafka-metrics-config.yml"}
        },
    }
    # Pod-level settings belong to the pools: Strimzi would ignore them here.
    assert kafka["template"] == {"podDisruptionBudget": {"maxUnavailable": 1}}


def test_entity_operator_and_exporter_are_hardened_and_sized():
    spec = kafka_body(cluster(exporter_group_regex="connect-.*"))["spec"]
    operator = spec["entityOperator"]
    operator_resources = {
        "requests": {"cpu": "100m", "memory": "512Mi"},
        "limits": {"memory": "512Mi"},
    }
    assert operator["topicOperator"] == {"resources": operator_resources}
    assert operator["userOperator"] == {"resources": operator_resources}
    assert operator["template"] == {
        "pod": {"securityContext": RESTRICTED_POD},
        "topicOperatorContainer": RESTRICTED_CONTAINER,
        "userOperatorContainer": RESTRICTED_CONTAINER,
    }
    assert spec["kafkaExporter"] == {
        "groupRegex": "connect-.*",
        "topicRegex": ".*",
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "128Mi"},
        },
        "template": {"pod": {"securityContext": RESTRICTED_POD}, "container": RESTRICTED_CONTAINER},
    }


def test_outputs_are_placed_not_read():
    namespace, storage_class = object(), object()  # stand-ins for Pulumi Outputs
    owner = cluster(namespace=namespace)
    assert kafka_body(owner)["metadata"]["namespace"] is namespace
    body = node_pool_body(owner, pool(storage_class=storage_class))
    assert body["metadata"]["namespace"] is namespace
    assert body["spec"]["storage"]["volumes"][0]["class"] is storage_class


# --- KafkaNodePool --------------------------------------------------------------------------


def test_node_pool_storage_keeps_claims_and_shares_metadata_on_volume_0():
    body = node_pool_body(cluster(), pool(volumes=2))
    assert body["metadata"]["labels"] == {
        "app.kubernetes.io/part-of": "data-pipeline",
        "strimzi.io/cluster": "events",
    }
    assert body["spec"]["storage"] == {
        "type": "jbod",
        "volumes": [
            {
                "id": 0,
                "type": "persistent-claim",
                "size": "100Gi",
                "class": "px-dev-db-1a2b3c",
                "deleteClaim": False,
                "kraftMetadata": "shared",
            },
            {
                "id": 1,
                "type": "persistent-claim",
                "size": "100Gi",
                "class": "px-dev-db-1a2b3c",
                "deleteClaim": False,
            },
        ],
    }


def test_node_pool_roles_replicas_resources_and_heap():
    spec = node_pool_body(cluster(), pool(roles=(Role.BROKER, Role.CONTROLLER)))["spec"]
    assert spec["roles"] == ["controller", "broker"]
    assert spec["replicas"] == 3
    assert spec["resources"] == {
        "requests": {"cpu": "1", "memory": "8Gi"},
        "limits": {"memory": "8Gi"},
    }
    assert spec["jvmOptions"] == {"-Xms": "4g", "-Xmx": "4g"}
    assert pool(heap="1536Mi").jvm_heap() == "1536m"


def test_node_ids_are_pinned_to_the_pool_range():
    annotations = node_pool_body(cluster(), pool(node_ids=range(100, 200)))["metadata"]
    assert annotations["annotations"] == {"strimzi.io/next-node-ids": "[100-199]"}
    single = node_pool_body(cluster(), pool(replicas=1, node_ids=range(5, 6)))["metadata"]
    assert single["annotations"] == {"strimzi.io/next-node-ids": "[5]"}


def test_node_pool_pods_are_restricted_and_spread_over_zones():
    template = node_pool_body(cluster(), pool())["spec"]["template"]
    assert template == {
        "pod": {
            "securityContext": {**RESTRICTED_POD, "fsGroup": 0},
            "topologySpreadConstraints": [
                {
                    "maxSkew": 1,
                    "topologyKey": "topology.kubernetes.io/zone",
                    "whenUnsatisfiable": "DoNotSchedule",
                    "labelSelector": {
                        "matchLabels": {
                            "strimzi.io/cluster": "events",
                            "strimzi.io/pool-name": "broker",
                        }
                    },
                }
            ],
        },
        "kafkaContainer": RESTRICTED_CONTAINER,
        "initContainer": RESTRICTED_CONTAINER,
    }


def test_stork_schedules_only_when_asked():
    assert "schedulerName" not in node_pool_body(cluster(), pool())["spec"]["template"]["pod"]
    stork = node_pool_body(cluster(use_stork=True), pool())["spec"]["template"]["pod"]
    assert stork["schedulerName"] == "stork"


def test_zone_spread_can_be_a_preference():
    template = node_pool_body(cluster(strict_zone_spread=False), pool())["spec"]["template"]
    (constraint,) = template["pod"]["topologySpreadConstraints"]
    assert constraint["whenUnsatisfiable"] == "ScheduleAnyway"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"name": "Brokers"},
            "node pool name 'Brokers': at most 63 characters, lowercase letters, digits and "
            "'-', starting and ending alphanumeric",
        ),
        ({"roles": ()}, "node pool broker: roles must be controller and/or broker"),
        (
            {"roles": (Role.BROKER, Role.BROKER)},
            "node pool broker: roles must be controller and/or broker",
        ),
        ({"node_ids": range(0, 2)}, "node pool broker: 3 replicas but only 2 node IDs ([0-1])"),
        ({"node_ids": range(0, 10, 2)}, "node pool broker: node IDs must be a range of IDs >= 0"),
        (
            {"resources": Resources(limits={"memory": "8Gi"})},
            "node pool broker: resources must request memory",
        ),
        (
            {"heap": "8Gi"},
            "node pool broker: heap 8Gi must stay below the memory request 8Gi, which also "
            "holds the JVM's own memory and the page cache",
        ),
        ({"heap": "1.5G"}, "node pool broker: heap 1.5G is not a whole number of Mi"),
        ({"volume_size": "100GB"}, "not a Kubernetes quantity: '100GB'"),
    ],
)
def test_node_pool_refuses(changes, message):
    with pytest.raises(ValueError) as refused:
        pool(**changes)
    assert str(refused.value) == message


# --- KafkaTopic -----------------------------------------------------------------------------


def test_topic_body():
    topic = Topic("clicks", partitions=12, replicas=3, config={"retention.ms": 604800000})
    assert topic_body(cluster(), topic) == {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaTopic",
        "metadata": {
            "name": "clicks",
            "namespace": "dp-clicks",
            "labels": {
                "app.kubernetes.io/part-of": "data-pipeline",
                "strimzi.io/cluster": "events",
            },
        },
        "spec": {
            "topicName": "clicks",
            "partitions": 12,
            "replicas": 3,
            "config": {"retention.ms": 604800000},
        },
    }


def test_topic_replicas_default_to_the_cluster_replication_factor():
    single = cluster(config={"default.replication.factor": 1})
    assert topic_body(single, Topic("clicks", partitions=1))["spec"]["replicas"] == 1
    assert topic_body(cluster(), Topic("clicks", partitions=1))["spec"]["replicas"] == 3


def test_topic_resource_names():
    assert topic_resource_name("clicks.v1") == "clicks.v1"
    assert topic_resource_name("Orders_v1") == "orders-v1-c9d54038"
    assert topic_resource_name("orders_v1") != topic_resource_name("Orders_v1")
    assert topic_resource_name("__").startswith("topic-")
    body = topic_body(cluster(), Topic("Orders_v1", partitions=1))
    assert body["metadata"]["name"] == topic_resource_name("Orders_v1")
    assert body["spec"]["topicName"] == "Orders_v1"


@pytest.mark.parametrize("name", ["", ".", "..", "has space", "x" * 250, "ünïcode"])
def test_invalid_topic_names_are_refused(name):
    with pytest.raises(ValueError, match=r"use 1-249 letters, digits, '\.', '_' or '-'$"):
        Topic(name, partitions=1)


# --- KafkaUser ------------------------------------------------------------------------------


def test_producer_gets_write_and_describe_on_its_topics_only():
    assert PRODUCER.acls() == [
        {
            "resource": {"type": "topic", "name": "clicks", "patternType": "literal"},
            "operations": ["Write", "Describe"],
        }
    ]


def test_consumer_gets_read_on_its_topics_and_its_group():
    assert CONSUMER.acls() == [
        {
            "resource": {"type": "topic", "name": "clicks", "patternType": "literal"},
            "operations": ["Read", "Describe"],
        },
        {
            "resource": {"type": "group", "name": "connect-clicks-sink", "patternType": "literal"},
            "operations": ["Read"],
        },
    ]


def test_a_user_that_reads_and_writes_gets_one_rule_per_topic():
    user = User(
        "enricher",
        produces=("enriched", "clicks"),
        consumes=("clicks",),
        group="spark-kafka-source",
        group_pattern=PatternType.PREFIX,
    )
    assert user.acls() == [
        {
            "resource": {"type": "topic", "name": "clicks", "patternType": "literal"},
            "operations": ["Read", "Write", "Describe"],
        },
        {
            "resource": {"type": "topic", "name": "enriched", "patternType": "literal"},
            "operations": ["Write", "Describe"],
        },
        {
            "resource": {"type": "group", "name": "spark-kafka-source", "patternType": "prefix"},
            "operations": ["Read"],
        },
    ]


def test_no_rule_reaches_the_cluster_resource():
    user = User("all", produces=("a", "b"), consumes=("c",), group="g")
    assert {rule["resource"]["type"] for rule in user.acls()} == {"topic", "group"}
    assert all("IdempotentWrite" not in rule["operations"] for rule in user.acls())


@pytest.mark.parametrize("authentication", list(Authentication))
def test_user_authenticates_like_the_listener(authentication):
    body = user_body(cluster(authentication=authentication), CONSUMER)
    assert body["metadata"]["name"] == "clicks-sink"
    assert body["metadata"]["labels"]["strimzi.io/cluster"] == "events"
    assert body["spec"] == {
        "authentication": {"type": authentication.value},
        "authorization": {"type": "simple", "acls": CONSUMER.acls()},
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({}, "user u: give the topics it produces to or consumes"),
        ({"consumes": ("t",)}, "user u: a consumer needs its group, and only a consumer has one"),
        (
            {"produces": ("t",), "group": "g"},
            "user u: a consumer needs its group, and only a consumer has one",
        ),
        (
            {"produces": ("bad topic",)},
            "topic name 'bad topic': use 1-249 letters, digits, '.', '_' or '-'",
        ),
        (
            {"name": "U", "produces": ("t",)},
            "Kafka user name 'U': at most 64 characters, lowercase letters, digits, '-' and '.', "
            "starting and ending alphanumeric",
        ),
    ],
)
def test_user_refuses(changes, message):
    with pytest.raises(ValueError) as refused:
        User(**{"name": "u", **changes})
    assert str(refused.value) == message


# --- v1beta2 --------------------------------------------------------------------------------


def test_v1beta2_switches_every_kind_and_annotates_the_kafka():
    old = cluster(api_version=API_V1BETA2)
    new = cluster()
    bodies = [
        (kafka_body(old), kafka_body(new)),
        (node_pool_body(old, pool()), node_pool_body(new, pool())),
        (topic_body(old, Topic("clicks", 3)), topic_body(new, Topic("clicks", 3))),
        (user_body(old, PRODUCER), user_body(new, PRODUCER)),
    ]
    for old_body, new_body in bodies:
        assert old_body["apiVersion"] == "kafka.strimzi.io/v1beta2"
        assert new_body["apiVersion"] == API_V1
        assert old_body["spec"] == new_body["spec"]
    kafka_metadata = bodies[0][0]["metadata"]
    assert kafka_metadata["annotations"] == {
        "strimzi.io/node-pools": "enabled",
        "strimzi.io/kraft": "enabled",
    }
    assert "annotations" not in bodies[0][1]["metadata"]


def test_unknown_api_version_is_refused():
    with pytest.raises(
        ValueError,
        match=r"^Strimzi apiVersion 'kafka\.strimzi\.io/v1beta1' is not one of "
        r"kafka\.strimzi\.io/v1, kafka\.strimzi\.io/v1beta2$",
    ):
        cluster(api_version="kafka.strimzi.io/v1beta1")


@pytest.mark.parametrize("name", ["1events", "Events", "e" * 48, "events_1"])
def test_cluster_names_fit_strimzis_derived_names(name):
    with pytest.raises(ValueError, match=r"at most 47 characters, lowercase letters, digits"):
        cluster(name=name)


# --- the cluster as a whole -----------------------------------------------------------------


def test_a_production_shaped_cluster_passes():
    topics = [Topic("clicks", 12), Topic("audit", 3, config={"min.insync.replicas": 3})]
    assert check_cluster(cluster(), [controllers(replicas=3), pool()], topics) is None


def test_a_single_node_dev_cluster_passes_with_matching_replication():
    dev = cluster(
        config={
            "default.replication.factor": 1,
            "min.insync.replicas": 1,
            "offsets.topic.replication.factor": 1,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
        }
    )
    combined = pool(roles=(Role.CONTROLLER, Role.BROKER), replicas=1)
    assert check_cluster(dev, [combined], [Topic("clicks", 1)]) is None


def test_cluster_problems_are_reported_together():
    pools = [
        controllers(replicas=2, node_ids=range(0, 10)),
        pool(name="broker", replicas=2, node_ids=range(5, 20)),
        pool(name="broker", replicas=0, node_ids=range(20, 30)),
    ]
    topics = [Topic("clicks", 3), Topic("audit", 1, replicas=2, config={"min.insync.replicas": 3})]
    with pytest.raises(ValueError) as refused:
        check_cluster(cluster(), pools, topics)
    assert str(refused.value).split("; ") == [
        "Kafka events: node pool broker is defined twice",
        "2 KRaft controllers: use 1, 3 or 5, as a quorum of 2 tolerates no more failures than "
        "one of 1",
        "node pools controller and broker share node IDs",
        "default.replication.factor 3 exceeds the 2 broker(s)",
        "offsets.topic.replication.factor 3 exceeds the 2 broker(s)",
        "transaction.state.log.replication.factor 3 exceeds the 2 broker(s)",
        "topic clicks: 3 replicas exceed 2 broker(s)",
        "topic audit: min.insync.replicas 3 exceeds its 2 replicas: "
        "every acks=all write would fail",
    ]


def test_cluster_needs_controllers_and_brokers():
    with pytest.raises(ValueError) as refused:
        check_cluster(cluster(config={"default.replication.factor": 0}), [pool(replicas=0)])
    assert str(refused.value).split("; ")[:2] == [
        "Kafka events: no KRaft controller: give a pool the controller role and replicas",
        "no broker: give a pool the broker role and replicas",
    ]


def test_min_isr_above_replication_is_refused():
    config = {"min.insync.replicas": 4, "transaction.state.log.min.isr": 4}
    with pytest.raises(ValueError) as refused:
        check_cluster(cluster(config=config), [controllers(), pool()])
    assert str(refused.value) == (
        "Kafka events: min.insync.replicas 4 exceeds default.replication.factor 3: every "
        "acks=all write would fail; transaction.state.log.min.isr 4 exceeds "
        "transaction.state.log.replication.factor 3: every acks=all write would fail"
    )


def test_pod_names_must_fit_a_hostname():
    long_pool = pool(name="b" * 52, node_ids=range(1000, 1100))
    with pytest.raises(ValueError, match=r"pod name events-b{52}-1099 is longer than 63"):
        check_cluster(cluster(), [controllers(), long_pool])


# --- names other components use -------------------------------------------------------------


def test_strimzi_generated_names():
    names = StrimziNames("events")
    assert names.bootstrap_service == "events-kafka-bootstrap"
    assert names.tls_bootstrap == "events-kafka-bootstrap:9093"
    assert names.cluster_ca_secret == "events-cluster-ca-cert"
    assert names.user_secret("clicks-sink") == "clicks-sink"


def test_pvc_names_follow_the_pinned_node_ids():
    brokers = pool(replicas=2, node_ids=range(10, 20), volumes=2)
    assert StrimziNames("events").pvc_names(brokers) == [
        "data-0-events-broker-10",
        "data-1-events-broker-10",
        "data-0-events-broker-11",
        "data-1-events-broker-11",
    ]


def test_the_modules_are_plain_python():
    probe = (
        "import sys, components.pods, components.strimzi; "
        "print(sorted(m for m in ('pulumi', 'pipeline') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
