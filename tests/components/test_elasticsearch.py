"""ElasticsearchCluster under mocks: nodeSets by class, waits, users, flows, monitoring."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from components.elasticsearch import (
    ElasticsearchClientArgs,
    ElasticsearchCluster,
    ElasticsearchClusterArgs,
    ElasticsearchNodesArgs,
    KibanaArgs,
)
from components.monitoring import Monitoring
from components.namespace import PipelineNamespace, PipelineNamespaceArgs
from components.operators import Operator, OperatorArgs
from components.pods import Resources
from components.storage import (
    PlacementArgs,
    PortworxStorage,
    PortworxStorageArgs,
    StorageClassArgs,
)
from pipeline.offline import ProgramRun, run_program
from tests.conftest import by_name, of_kind
from tests.schemas import validate_custom

NODES = ElasticsearchNodesArgs(
    count=3,
    storage="100Gi",
    resources=Resources(requests={"cpu": "1", "memory": "8Gi"}, limits={"memory": "8Gi"}),
    heap="4Gi",
)
PROMETHEUS = {"app.kubernetes.io/name": "prometheus"}


@dataclasses.dataclass(frozen=True)
class Settings:
    """What a test changes; the rest of ElasticsearchClusterArgs is fixed."""

    data_repl: int = 2
    data: ElasticsearchNodesArgs = NODES
    combined: bool = False
    monitoring: bool = True
    kibana: bool = False
    use_stork: bool = False
    http_tls: bool = True
    snapshot_flush: bool = False


def _class(repl: int) -> StorageClassArgs:
    return StorageClassArgs(
        repl=repl,
        secure=True,
        io_profile="auto",
        priority_io="high",
        fs="ext4",
        sharedv4=False,
        nodiscard=False,
        reclaim_policy="Retain",
        allow_volume_expansion=True,
        zone_spread=False,
        encryption_key=None,
    )


def run(settings: Settings = Settings(), reveal_secrets: bool = False) -> ProgramRun:
    def program() -> None:
        storage = PortworxStorage(
            "storage",
            PortworxStorageArgs(
                name_prefix="px-test",
                labels={},
                classes={"replicated": _class(settings.data_repl), "small": _class(3)},
                placement=PlacementArgs("topology.kubernetes.io/zone", "preferred"),
            ),
        )
        namespace = PipelineNamespace(
            "clicks",
            PipelineNamespaceArgs(
                pipeline="clicks",
                namespace="dp-clicks",
                storage_quotas=[],
                catalog_classes=[],
                labels={},
                retain_on_delete=False,
            ),
        )
        eck = Operator(
            "eck",
            OperatorArgs(
                namespace="elastic-system",
                crd="elasticsearches.elasticsearch.k8s.elastic.co",
                labels={},
            ),
        )
        monitoring = Monitoring("monitoring", PROMETHEUS, {"release": "prom"})
        cluster = ElasticsearchCluster(
            "clicks",
            ElasticsearchClusterArgs(
                namespace=namespace,
                data_storage=storage.class_for("replicated"),
                master_storage=storage.class_for("small"),
                operator=eck,
                operator_namespace="elastic-system",
                version="9.4.3",
                combined=settings.combined,
                masters=dataclasses.replace(NODES, storage="10Gi"),
                data=settings.data,
                http_tls=settings.http_tls,
                allow_mmap=False,
                topology_key="topology.kubernetes.io/zone",
                zones=("a", "b", "c"),
                use_stork=settings.use_stork,
                kibana=KibanaArgs(1, NODES.resources) if settings.kibana else None,
                clients={
                    "loader": ElasticsearchClientArgs("write", ("clicks-*",)),
                    "analytics": ElasticsearchClientArgs("read", ("clicks-*", "sessions")),
                },
                monitoring=monitoring if settings.monitoring else None,
                snapshot_flush=settings.snapshot_flush,
            ),
        )
        pulumi.export("url", cluster.url)
        pulumi.export("caSecret", cluster.ca_secret)
        pulumi.export("pods", cluster.pods)
        pulumi.export("loader", cluster.user_secret("loader"))
        pulumi.export("classes", {role: c.name for role, c in storage.classes.items()})

    return run_program(program, project="p", stack="s", config={}, reveal_secrets=reveal_secrets)


def elasticsearch(result: ProgramRun) -> dict[str, Any]:
    (resource,) = of_kind(result, "Elasticsearch")
    return resource.props


def node_sets(result: ProgramRun) -> dict[str, dict[str, Any]]:
    return {n["name"]: n for n in elasticsearch(result)["spec"]["nodeSets"]}


def digest(class_name: str) -> str:
    return class_name.rsplit("-", 1)[1]


def test_dedicated_master_and_data_nodesets_on_their_roles_classes(crds_dir: Path):
    result = run()
    validate_custom(elasticsearch(result), crds_dir)
    classes = result.outputs["classes"]
    sets = node_sets(result)
    masters = f"masters-{digest(classes['small'])}"
    data = f"data-{digest(classes['replicated'])}"
    assert set(sets) == {masters, data}
    for name, class_name in ((masters, classes["small"]), (data, classes["replicated"])):
        (claim,) = sets[name]["volumeClaimTemplates"]
        assert claim["metadata"]["name"] == "elasticsearch-data"
        assert claim["spec"]["storageClassName"] == class_name
    assert sets[masters]["volumeClaimTemplates"][0]["spec"]["resources"] == {
        "requests": {"storage": "10Gi"}
    }
    assert sets[data]["config"]["node.roles"] == ["data", "ingest"]


def test_a_combined_nodeset_in_dev():
    (combined,) = node_sets(run(Settings(combined=True))).values()
    assert combined["name"].startswith("combined-")
    assert combined["config"]["node.roles"] == ["master", "data", "ingest"]


def test_a_new_data_class_is_a_new_nodeset_beside_the_masters_and_the_old_one_leaves():
    before = node_sets(run())
    after = node_sets(run(Settings(data_repl=3)))
    masters = {name for name in before if name.startswith("masters-")}
    assert masters == {name for name in after if name.startswith("masters-")}
    (old,) = set(before) - masters
    (new,) = set(after) - masters
    assert old != new and old.startswith("data-") and new.startswith("data-")
    # Only the names differ: ECK creates the new nodeSet, moves the shards, deletes the old one.
    assert {**before[old], "name": new, "volumeClaimTemplates": None} == {
        **after[new],
        "volumeClaimTemplates": None,
    }


def test_growing_the_data_volumes_changes_the_size_of_the_same_nodeset():
    before = node_sets(run())
    after = node_sets(run(Settings(data=dataclasses.replace(NODES, storage="200Gi"))))
    assert before.keys() == after.keys()
    (data,) = [name for name in after if name.startswith("data-")]
    sizes = [
        sets[data]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
        for sets in (before, after)
    ]
    assert sizes == ["100Gi", "200Gi"]


def test_custom_resources_wait_for_the_operator_and_say_when_they_are_ready():
    result = run(Settings(kibana=True))
    (cluster,) = of_kind(result, "Elasticsearch")
    (kibana,) = of_kind(result, "Kibana")
    assert any(urn.endswith("CustomResourceDefinition::eck-crd") for urn in cluster.dependencies)
    secrets = {r.urn for r in of_kind(result, "Secret")}
    assert secrets <= set(cluster.dependencies)
    assert cluster.props["metadata"]["annotations"] == {
        "pulumi.com/waitFor": "jsonpath={.status.phase}=Ready"
    }
    assert cluster.urn in kibana.dependencies
    assert kibana.props["metadata"]["annotations"] == {
        "pulumi.com/waitFor": "jsonpath={.status.health}=green"
    }


def test_each_stage_gets_a_file_realm_user_with_a_generated_password_and_one_role():
    result = run(reveal_secrets=True)
    secrets = {r.props["metadata"]["name"]: r.props for r in of_kind(result, "Secret")}
    assert set(secrets) == {
        "clicks-loader-es-user",
        "clicks-analytics-es-user",
        "clicks-metrics-exporter-es-user",
        "clicks-es-roles",
    }
    loader = secrets["clicks-loader-es-user"]
    assert loader["type"] == "kubernetes.io/basic-auth"
    assert loader["stringData"] == {
        "username": "loader",
        "password": "offline-clicks-loader-es-password",
        "roles": "loader-write",
    }
    assert secrets["clicks-metrics-exporter-es-user"]["stringData"]["roles"] == (
        "metrics-exporter-monitor"
    )
    roles = yaml.safe_load(secrets["clicks-es-roles"]["stringData"]["roles.yml"])
    assert roles["loader-write"]["indices"] == [
        {"names": ["clicks-*"], "privileges": ["create_index", "write", "view_index_metadata"]}
    ]
    assert roles["analytics-read"]["indices"] == [
        {"names": ["clicks-*", "sessions"], "privileges": ["read", "view_index_metadata"]}
    ]
    assert roles["metrics-exporter-monitor"] == {"cluster": ["monitor"]}
    auth = elasticsearch(result)["spec"]["auth"]
    assert auth == {
        "fileRealm": [
            {"secretName": name}
            for name in (
                "clicks-loader-es-user",
                "clicks-analytics-es-user",
                "clicks-metrics-exporter-es-user",
            )
        ],
        "roles": [{"secretName": "clicks-es-roles"}],
    }
    assert result.outputs["loader"] == "clicks-loader-es-user"


def test_passwords_stay_secret_in_what_policies_and_previews_see():
    secrets = {r.props["metadata"]["name"]: r.props for r in of_kind(run(), "Secret")}
    assert secrets["clicks-loader-es-user"]["stringData"]["password"] == "[secret]"


def test_a_client_named_like_the_exporters_user_is_refused():
    with pytest.raises(ValueError) as error:
        dataclasses.replace(
            _args_stub(), clients={"metrics-exporter": ElasticsearchClientArgs("read", ("a",))}
        )
    assert str(error.value) == "client name 'metrics-exporter' is the exporter's user"
    with pytest.raises(ValueError) as error:
        dataclasses.replace(
            _args_stub(), clients={"loader": ElasticsearchClientArgs("admin", ("a",))}
        )
    assert str(error.value) == "client loader: privileges must be write or read, got 'admin'"


def _args_stub() -> ElasticsearchClusterArgs:
    """Args whose handles are never read: only the clients are validated."""
    return ElasticsearchClusterArgs(
        namespace=None,
        data_storage=None,
        master_storage=None,
        operator=None,
        operator_namespace="elastic-system",
        version="9.4.3",
        combined=False,
        masters=NODES,
        data=NODES,
        http_tls=True,
        allow_mmap=False,
        topology_key="topology.kubernetes.io/zone",
        zones=(),
        use_stork=False,
        kibana=None,
        clients={},
        monitoring=None,
    )


def _ingress_ports(policy: dict[str, Any]) -> dict[str, list[int]]:
    reasons = policy["metadata"]["annotations"]
    return {
        reasons[f"data-pipeline.io/ingress-{i}"]: [p["port"] for p in rule["ports"]]
        for i, rule in enumerate(policy["spec"].get("ingress", []))
    }


def test_elasticsearch_opens_exactly_its_flows():
    result = run(Settings(kibana=True))
    policies = {r.props["metadata"]["name"]: r.props for r in of_kind(result, "NetworkPolicy")}
    own = policies["allow-elasticsearch-clicks"]
    assert own["spec"]["podSelector"] == {
        "matchLabels": {"elasticsearch.k8s.elastic.co/cluster-name": "clicks"}
    }
    assert _ingress_ports(own) == {
        "nodes of the cluster form it over the transport layer": [9300],
        "the pipeline's client stages use the HTTP API": [9200],
        "the exporter reads the cluster's health and node statistics": [9200],
        "Kibana queries the cluster": [9200],
        "the ECK operator manages the cluster": [9200],
    }
    stages = own["spec"]["ingress"][1]["from"]
    assert stages == [
        {"podSelector": {"matchLabels": {"data-pipeline.io/stage": stage}}}
        for stage in ("loader", "analytics")
    ]
    assert own["spec"]["ingress"][4]["from"] == [
        {
            "podSelector": {"matchLabels": {}},
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "elastic-system"}},
        }
    ]
    assert own["spec"]["egress"] == [
        {
            "to": [
                {
                    "podSelector": {
                        "matchLabels": {"elasticsearch.k8s.elastic.co/cluster-name": "clicks"}
                    }
                }
            ],
            "ports": [{"protocol": "TCP", "port": 9300}],
        }
    ]
    exporter = policies["allow-elasticsearch-exporter-clicks"]
    assert _ingress_ports(exporter) == {"Prometheus scrapes metrics": [9114]}
    kibana = policies["allow-kibana-clicks"]
    assert kibana["spec"]["policyTypes"] == ["Egress"]
    for policy in (exporter, kibana):
        (egress,) = policy["spec"]["egress"]
        assert egress["ports"] == [{"protocol": "TCP", "port": 9200}]


def test_monitoring_scrapes_the_exporter_and_alerts_for_the_pipelines_namespace():
    result = run()
    (deployment,) = of_kind(result, "Deployment")
    (container,) = deployment.props["spec"]["template"]["spec"]["containers"]
    assert container["args"][0] == "--es.uri=https://clicks-es-http:9200"
    (cluster,) = of_kind(result, "Elasticsearch")
    assert cluster.urn in deployment.dependencies
    (monitor,) = of_kind(result, "PodMonitor")
    assert monitor.props["metadata"]["labels"]["release"] == "prom"
    (rule,) = of_kind(result, "PrometheusRule")
    (group,) = rule.props["spec"]["groups"]
    assert group["name"] == "elasticsearch-dp-clicks-clicks"
    assert all('namespace="dp-clicks", cluster="clicks"' in r["expr"] for r in group["rules"])


def test_monitoring_disabled_leaves_no_exporter_user_monitor_or_flow():
    result = run(Settings(monitoring=False))
    assert of_kind(result, "Deployment") == of_kind(result, "PodMonitor") == []
    assert of_kind(result, "PrometheusRule") == []
    names = {r.props["metadata"]["name"] for r in of_kind(result, "Secret")}
    assert "clicks-metrics-exporter-es-user" not in names
    policies = by_name(of_kind(result, "NetworkPolicy"))
    assert set(policies) == {
        "clicks-default-deny",
        "clicks-dns",
        "clicks-elasticsearch-clicks-flows",
    }


@pytest.mark.parametrize(("stork", "scheduler"), [(True, "stork"), (False, None)])
def test_pods_use_stork_when_the_stack_enables_it(stork: bool, scheduler: str | None):
    for node_set in node_sets(run(Settings(use_stork=stork))).values():
        assert node_set["podTemplate"]["spec"].get("schedulerName") == scheduler


def test_outputs_give_clients_what_they_need():
    outputs = run().outputs
    assert outputs["url"] == "https://clicks-es-http.dp-clicks.svc:9200"
    assert outputs["caSecret"] == "clicks-es-http-certs-public"
    assert outputs["pods"] == {"elasticsearch.k8s.elastic.co/cluster-name": "clicks"}
    assert (
        run(Settings(http_tls=False)).outputs["url"] == "http://clicks-es-http.dp-clicks.svc:9200"
    )


def test_the_snapshot_flush_user_may_only_flush_and_is_mounted_in_every_node(crds_dir):
    result = run(Settings(snapshot_flush=True), reveal_secrets=True)
    secrets = {r.props["metadata"]["name"]: r.props for r in of_kind(result, "Secret")}
    flush = secrets["clicks-snapshot-flush-es-user"]
    assert flush["type"] == "kubernetes.io/basic-auth"
    assert flush["stringData"]["roles"] == "snapshot-flush-maintenance"
    roles = yaml.safe_load(secrets["clicks-es-roles"]["stringData"]["roles.yml"])
    assert roles["snapshot-flush-maintenance"] == {
        "cluster": [],
        "indices": [{"names": ["*"], "privileges": ["maintenance"]}],
    }
    (es,) = of_kind(result, "Elasticsearch")
    assert {"secretName": "clicks-snapshot-flush-es-user"} in es.props["spec"]["auth"]["fileRealm"]
    for node_set in es.props["spec"]["nodeSets"]:
        pod = node_set["podTemplate"]["spec"]
        assert pod["volumes"] == [
            {
                "name": "snapshot-flush",
                "secret": {
                    "secretName": "clicks-snapshot-flush-es-user",
                    "items": [
                        {"key": "username", "path": "username"},
                        {"key": "password", "path": "password"},
                    ],
                },
            }
        ]
        assert pod["containers"][0]["volumeMounts"] == [
            {
                "name": "snapshot-flush",
                "mountPath": "/mnt/data-pipeline/snapshot-flush",
                "readOnly": True,
            }
        ]
    validate_custom(
        {"apiVersion": "elasticsearch.k8s.elastic.co/v1", "kind": "Elasticsearch", **es.props},
        crds_dir,
    )


def test_without_the_snapshot_flush_no_user_nor_mount_exists():
    (es,) = of_kind(run(), "Elasticsearch")
    assert "clicks-snapshot-flush-es-user" not in repr(es.props)
    assert all("volumes" not in n["podTemplate"]["spec"] for n in es.props["spec"]["nodeSets"])


def test_a_client_named_like_the_flush_user_is_refused():
    with pytest.raises(ValueError) as error:
        dataclasses.replace(
            _args_stub(), clients={"snapshot-flush": ElasticsearchClientArgs("read", ("a",))}
        )
    assert str(error.value) == "client name 'snapshot-flush' is the snapshot flush's user"
