"""KafkaCluster and the Strimzi operator under mocks: pools by class, waits, flows, monitoring."""

from __future__ import annotations

import copy

import pytest

from components.operators import CRD_TYPE, keep_crds
from tests.conftest import by_name, minimal_config, of_kind, run_with_config

BROKERS = {
    "replicas": 3,
    "storage": "10Gi",
    "heap": "1Gi",
    "resources": {
        "requests": {"cpu": "1", "memory": "4Gi"},
        "limits": {"cpu": "2", "memory": "4Gi"},
    },
}


def kafka_config(kafka: dict | None = None, **stack) -> dict:
    return minimal_config(
        storage={"classes": {"db": {"repl": 2}, "replicated": {"repl": 2}}},
        pipelines={
            "clicks": {
                "storage": {"replicated": "1Ti"},
                "kafka": {
                    "brokers": BROKERS,
                    "topics": {"events": {}},
                    "clients": {
                        "web": {"produces": ["events"]},
                        "loader": {"consumes": ["events"]},
                    },
                    **(kafka or {}),
                },
            }
        },
        **stack,
    )


def kinds(run, kind: str) -> dict[str, dict]:
    return {r.name: r.props for r in of_kind(run, kind)}


def test_dedicated_controller_and_broker_pools_on_the_roles_class():
    run = run_with_config(kafka_config())
    class_name = run.outputs["storageClasses"]["replicated"]
    digest = class_name.rsplit("-", 1)[1]
    pools = {p["metadata"]["name"]: p["spec"] for p in kinds(run, "KafkaNodePool").values()}
    assert set(pools) == {f"controllers-{digest}", f"brokers-{digest}"}
    assert pools[f"controllers-{digest}"]["roles"] == ["controller"]
    assert pools[f"brokers-{digest}"]["roles"] == ["broker"]
    for spec in pools.values():
        (volume,) = spec["storage"]["volumes"]
        assert volume["class"] == class_name
        assert volume["deleteClaim"] is False
        assert volume["kraftMetadata"] == "shared"
    assert pools[f"brokers-{digest}"]["jvmOptions"] == {"-Xms": "1g", "-Xmx": "1g"}


def test_a_combined_pool_in_dev():
    run = run_with_config(kafka_config({"nodePools": "combined"}))
    (pool,) = kinds(run, "KafkaNodePool").values()
    assert pool["spec"]["roles"] == ["controller", "broker"]
    assert pool["metadata"]["name"].startswith("combined-")


def test_a_new_class_for_the_role_makes_new_pools_and_keeps_the_old_ones():
    before = run_with_config(kafka_config())
    changed = kafka_config()
    changed["storage"]["classes"]["replicated"]["repl"] = 3
    after = run_with_config(changed)
    old = {p["metadata"]["name"] for p in kinds(before, "KafkaNodePool").values()}
    new = {p["metadata"]["name"] for p in kinds(after, "KafkaNodePool").values()}
    assert old.isdisjoint(new)
    # Strimzi never moves a live volume to another class: the old pools are left in the cluster
    # (retained), serving their partitions until they are drained, and get node IDs of their own.
    assert all(r.retain_on_delete for r in of_kind(before, "KafkaNodePool"))
    ids = {
        p["metadata"]["annotations"]["strimzi.io/next-node-ids"]
        for run in (before, after)
        for p in kinds(run, "KafkaNodePool").values()
    }
    assert len(ids) == 4


def test_growing_a_volume_is_an_in_place_change_of_the_same_pool():
    grown = copy.deepcopy(BROKERS) | {"storage": "20Gi"}
    before = kinds(run_with_config(kafka_config()), "KafkaNodePool")
    after = kinds(run_with_config(kafka_config({"brokers": grown})), "KafkaNodePool")
    assert before.keys() == after.keys()
    name = next(n for n in after if "brokers" in n)
    assert after[name]["spec"]["storage"]["volumes"][0]["size"] == "20Gi"
    assert before[name]["spec"]["storage"]["volumes"][0]["size"] == "10Gi"


def test_custom_resources_wait_for_the_operator_and_the_cluster():
    run = run_with_config(kafka_config(operators={"strimzi": {"install": True}}))
    (chart,) = [r for r in run.resources if r.type == "kubernetes:helm.sh/v4:Chart"]
    kafka = of_kind(run, "Kafka")[0]
    assert chart.urn in kafka.dependencies
    assert kafka.props["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Ready"
    for kind in ("KafkaTopic", "KafkaUser"):
        for resource in of_kind(run, kind):
            assert {chart.urn, kafka.urn} <= set(resource.dependencies), resource.name
            assert resource.props["metadata"]["annotations"]["pulumi.com/waitFor"] == (
                "condition=Ready"
            )
    for pool in of_kind(run, "KafkaNodePool"):
        assert chart.urn in pool.dependencies


def test_the_chart_is_pinned_watches_the_pipeline_namespaces_and_keeps_its_crds():
    run = run_with_config(kafka_config(operators={"strimzi": {"install": True}}))
    (chart,) = [r for r in run.resources if r.type == "kubernetes:helm.sh/v4:Chart"]
    assert chart.props["chart"] == "oci://quay.io/strimzi-helm/strimzi-kafka-operator"
    assert chart.props["version"] == "1.2.0"
    assert chart.props["namespace"] == "strimzi"
    assert chart.props["values"]["watchNamespaces"] == ["data-pipeline-clicks"]
    assert chart.props["values"]["watchAnyNamespace"] is False
    assert chart.props["values"]["createGlobalResources"] is True


def test_a_preinstalled_operator_is_found_not_installed():
    run = run_with_config(kafka_config())
    assert not [r for r in run.resources if r.type == "kubernetes:helm.sh/v4:Chart"]
    assert not [r for r in of_kind(run, "Namespace") if r.name.startswith("strimzi")]


class _TransformArgs:
    def __init__(self, type_: str) -> None:
        self.type_, self.props, self.opts = type_, {"a": 1}, None


def test_the_charts_crds_are_retained_and_nothing_else_is_touched():
    result = keep_crds(_TransformArgs(CRD_TYPE))
    assert result is not None and result.opts.retain_on_delete is True
    assert result.props == {"a": 1}
    assert keep_crds(_TransformArgs("kubernetes:apps/v1:Deployment")) is None


def test_users_get_least_privilege_acls_and_consumers_their_group():
    users = {
        u["metadata"]["name"]: u["spec"]
        for u in kinds(run_with_config(kafka_config()), "KafkaUser").values()
    }
    assert users["web"]["authorization"]["acls"] == [
        {
            "resource": {"type": "topic", "name": "events", "patternType": "literal"},
            "operations": ["Write", "Describe"],
        }
    ]
    loader = users["loader"]["authorization"]["acls"]
    assert {acl["resource"]["type"] for acl in loader} == {"topic", "group"}
    group = next(acl for acl in loader if acl["resource"]["type"] == "group")
    assert group["resource"]["name"] == "clicks-loader"  # <pipeline>-<client> by default
    assert group["operations"] == ["Read"]


def test_kafka_opens_exactly_its_flows():
    run = run_with_config(kafka_config())
    policy = by_name(of_kind(run, "NetworkPolicy"))["clicks-flows"].props
    assert policy["metadata"]["name"] == "allow-kafka-clicks"
    spec = policy["spec"]
    assert spec["podSelector"] == {"matchLabels": {"strimzi.io/cluster": "clicks"}}
    reasons = policy["metadata"]["annotations"]
    ports = {
        reasons[f"data-pipeline.io/ingress-{i}"]: [p["port"] for p in rule.get("ports", [])]
        for i, rule in enumerate(spec["ingress"])
    }
    assert ports == {
        "nodes of the cluster replicate and elect": [],
        "the pipeline's clients use the client listener": [9093],
        "the Strimzi operator manages the nodes": [9090, 9091, 8443],
        "Prometheus scrapes metrics": [9404, 8080, 8081],
    }
    operator_peer = spec["ingress"][2]["from"][0]
    assert operator_peer["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "strimzi"}
    }
    api = spec["egress"][1]
    assert api["to"] == [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
    assert [p["port"] for p in api["ports"]] == [443, 6443]


def test_a_plaintext_listener_and_client_namespaces_open_only_when_configured():
    run = run_with_config(
        kafka_config(
            {
                "plaintextListener": True,
                "authentication": "scram-sha-512",
                "clientNamespaces": ["ingest"],
            }
        )
    )
    spec = by_name(of_kind(run, "NetworkPolicy"))["clicks-flows"].props["spec"]
    clients = spec["ingress"][1]
    assert [p["port"] for p in clients["ports"]] == [9093, 9092]
    assert clients["from"][1]["namespaceSelector"] == {
        "matchLabels": {"kubernetes.io/metadata.name": "ingest"}
    }


@pytest.mark.parametrize(("stork", "scheduler"), [(True, "stork"), (False, None)])
def test_stateful_pods_use_stork_when_the_stack_enables_it(stork, scheduler):
    config = kafka_config()
    config["storage"]["stork"] = stork
    for pool in kinds(run_with_config(config), "KafkaNodePool").values():
        assert pool["spec"]["template"]["pod"].get("schedulerName") == scheduler


def test_zone_spread_is_strict_only_on_a_cluster_with_several_zones():
    def spread(**kubernetes) -> set[str]:
        run = run_with_config(kafka_config(kubernetes=kubernetes))
        return {
            constraint["whenUnsatisfiable"]
            for pool in kinds(run, "KafkaNodePool").values()
            for constraint in pool["spec"]["template"]["pod"]["topologySpreadConstraints"]
        }

    assert spread() == {"ScheduleAnyway"}
    assert spread(zones=["a", "b", "c"]) == {"DoNotSchedule"}


def test_monitoring_selects_the_cluster_with_the_stacks_labels():
    run = run_with_config(kafka_config(monitoring={"selectorLabels": {"release": "prom"}}))
    (monitor,) = of_kind(run, "PodMonitor")
    assert monitor.props["metadata"]["labels"]["release"] == "prom"
    rules = [r for r in of_kind(run, "PrometheusRule") if r.component == "clicks"]
    (rule,) = rules
    expressions = [r["expr"] for g in rule.props["spec"]["groups"] for r in g["rules"]]
    assert all('namespace="data-pipeline-clicks"' in e for e in expressions if "kafka" in e)
    alerts = {r["alert"] for g in rule.props["spec"]["groups"] for r in g["rules"]}
    assert "KafkaConsumerGroupLag" in alerts or any("Lag" in a for a in alerts)


def test_monitoring_disabled_leaves_no_monitor_and_no_scrape_flow():
    run = run_with_config(kafka_config(monitoring={"enabled": False}))
    assert of_kind(run, "PodMonitor") == of_kind(run, "PrometheusRule") == []
    spec = by_name(of_kind(run, "NetworkPolicy"))["clicks-flows"].props["spec"]
    assert len(spec["ingress"]) == 3


def test_outputs_give_clients_what_they_need():
    outputs = run_with_config(kafka_config()).outputs["pipelines"]["clicks"]["kafka"]
    assert outputs == {
        "bootstrap": "clicks-kafka-bootstrap.data-pipeline-clicks.svc:9093",
        "caSecret": "clicks-cluster-ca-cert",
        "users": {"web": "web", "loader": "loader"},
    }


def test_monitors_and_rules_wait_for_the_prometheus_operators_crd():
    run = run_with_config(kafka_config())
    monitors = [
        r for kind in ("PodMonitor", "ServiceMonitor", "PrometheusRule") for r in of_kind(run, kind)
    ]
    assert len(monitors) == 4  # Portworx's monitor and rule, Kafka's monitor and rule
    for monitor in monitors:
        assert any(
            urn.endswith("CustomResourceDefinition::prometheus-operator-crd")
            for urn in monitor.dependencies
        ), monitor.name


def test_a_preinstalled_strimzi_is_waited_for_through_its_crd():
    kafka = of_kind(run_with_config(kafka_config()), "Kafka")[0]
    assert any(urn.endswith("CustomResourceDefinition::strimzi-crd") for urn in kafka.dependencies)


def test_rendering_to_a_directory_reads_nothing_from_a_cluster():
    # renderYamlToDirectory has no cluster: a preinstalled operator cannot be looked up there.
    run = run_with_config(kafka_config(kubernetes={"renderDirectory": "out"}))
    kafka = of_kind(run, "Kafka")[0]
    assert not any("CustomResourceDefinition" in urn for urn in kafka.dependencies)
