"""ECK bodies without a runtime: CRD and Pod schemas, nodeSets by class, hardening, heap, roles."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from components.eck import (
    ClusterSpec,
    EckNames,
    IndexAccess,
    KibanaSpec,
    NodeRole,
    NodeSet,
    Role,
    check_node_sets,
    client_role,
    elasticsearch_body,
    kibana_body,
    node_set_name,
    roles_yaml,
)
from components.pods import Resources
from tests.schemas import validate_builtin, validate_custom

MEMORY_8GI = Resources(requests={"cpu": "1", "memory": "8Gi"}, limits={"memory": "8Gi"})
SPEC = ClusterSpec(
    name="clicks",
    namespace="dp-clicks",
    labels={"data-pipeline.io/pipeline": "clicks"},
    user_secrets=("clicks-loader-es-user",),
    role_secrets=("clicks-es-roles",),
)


def node_sets(digest: str = "1a2b3c4d", size: str = "100Gi") -> list[NodeSet]:
    return [
        NodeSet(
            node_set_name("masters", "99999999"),
            (NodeRole.MASTER,),
            3,
            "px-masters-99999999",
            "10Gi",
            MEMORY_8GI,
            "1Gi",
        ),
        NodeSet(
            node_set_name("data", digest),
            (NodeRole.DATA, NodeRole.INGEST),
            3,
            f"px-replicated-{digest}",
            size,
            MEMORY_8GI,
            "4Gi",
        ),
    ]


def body(**changes) -> dict:
    spec = ClusterSpec(**{**SPEC.__dict__, **changes})
    return elasticsearch_body(spec, node_sets())


def test_the_body_is_valid_against_ecks_crd(crds_dir: Path):
    validate_custom(body(zones=("a", "b", "c"), use_stork=True), crds_dir)


def test_every_pod_template_is_a_valid_restricted_pod():
    for node_set in body()["spec"]["nodeSets"]:
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "node", **node_set["podTemplate"]["metadata"]},
            "spec": node_set["podTemplate"]["spec"],
        }
        assert validate_builtin(pod)
        spec = pod["spec"]
        assert spec["securityContext"] == {
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
            "fsGroup": 1000,
        }
        containers = spec["containers"] + spec["initContainers"]
        assert [c["name"] for c in containers] == [
            "elasticsearch",
            "elastic-internal-init-filesystem",
            "elastic-internal-suspend",
        ]
        for container in containers:
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": True,
                "seccompProfile": {"type": "RuntimeDefault"},
            }
        assert not any("sysctl" in c["name"] for c in containers)
        assert "schedulerName" not in spec


def test_nodesets_have_roles_heap_resources_claims_and_zone_awareness():
    masters, data = body(zones=("a", "b"))["spec"]["nodeSets"]
    assert (masters["name"], masters["count"]) == ("masters-99999999", 3)
    assert masters["config"] == {
        "node.roles": ["master"],
        "node.store.allow_mmap": False,
        "ingest.geoip.downloader.enabled": False,
    }
    assert data["config"]["node.roles"] == ["data", "ingest"]
    (container,) = data["podTemplate"]["spec"]["containers"]
    assert container["env"] == [{"name": "ES_JAVA_OPTS", "value": "-Xms4096m -Xmx4096m"}]
    assert container["resources"] == {
        "requests": {"cpu": "1", "memory": "8Gi"},
        "limits": {"memory": "8Gi"},
    }
    assert data["volumeClaimTemplates"] == [
        {
            "metadata": {"name": "elasticsearch-data"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": "px-replicated-1a2b3c4d",
                "resources": {"requests": {"storage": "100Gi"}},
            },
        }
    ]
    assert data["zoneAwareness"] == {
        "topologyKey": "topology.kubernetes.io/zone",
        "zones": ["a", "b"],
    }
    assert data["podTemplate"]["metadata"]["labels"] == {"data-pipeline.io/pipeline": "clicks"}


def test_cluster_level_settings_tls_rollout_and_users():
    spec = body()["spec"]
    assert spec["version"] == "9.4.3"
    assert spec["http"] == {"tls": {"selfSignedCertificate": {"disabled": False}}}
    assert spec["updateStrategy"] == {"changeBudget": {"maxUnavailable": 1}}
    # ECK's default budget: one node at a time, only while green. A static one would drop that.
    assert "podDisruptionBudget" not in spec
    assert spec["auth"] == {
        "fileRealm": [{"secretName": "clicks-loader-es-user"}],
        "roles": [{"secretName": "clicks-es-roles"}],
    }
    plain = body(http_tls=False, allow_mmap=True, use_stork=True)["spec"]
    assert plain["http"]["tls"]["selfSignedCertificate"] == {"disabled": True}
    data = plain["nodeSets"][1]
    assert data["config"]["node.store.allow_mmap"] is True
    assert data["podTemplate"]["spec"]["schedulerName"] == "stork"


def test_a_new_class_is_a_new_nodeset_and_a_larger_size_the_same_one():
    before = {n.name: n for n in node_sets("1a2b3c4d")}
    new_class = {n.name: n for n in node_sets("5e6f7a8b")}
    grown = {n.name: n for n in node_sets("1a2b3c4d", size="200Gi")}
    assert set(before) ^ set(new_class) == {"data-1a2b3c4d", "data-5e6f7a8b"}
    assert set(grown) == set(before)
    assert grown["data-1a2b3c4d"].volume_size == "200Gi"


@pytest.mark.parametrize(
    ("heap", "limit", "message"),
    [
        (
            "5Gi",
            "8Gi",
            "nodeSet data: heap 5Gi is more than half of the memory limit 8Gi",
        ),
        (
            "28Gi",
            "64Gi",
            "nodeSet data: heap 28Gi is above 26Gi, where the JVM loses compressed object pointers",
        ),
        ("1.5G", "8Gi", "nodeSet data: heap 1.5G is not a whole number of Mi"),
    ],
)
def test_heap_outside_elastics_sizing_is_refused(heap: str, limit: str, message: str):
    with pytest.raises(ValueError) as error:
        NodeSet(
            "data",
            (NodeRole.DATA,),
            1,
            "c",
            "1Gi",
            Resources(limits={"memory": limit}),
            heap,
        )
    assert str(error.value) == message


def test_clusters_eck_would_refuse_are_refused_with_every_problem():
    master = NodeSet("masters-1a2b3c4d5e", (NodeRole.MASTER,), 2, "c", "1Gi", MEMORY_8GI, "1Gi")
    with pytest.raises(ValueError) as error:
        check_node_sets(ClusterSpec(name="c" * 36, namespace="ns"), [master, master])
    statefulset = f"{'c' * 36}-es-masters-1a2b3c4d5e"
    assert str(error.value) == (
        f"Elasticsearch {'c' * 36}: nodeSet masters-1a2b3c4d5e is defined twice; 4 "
        "master-eligible nodes: use an odd number, as 4 tolerate no more failures than 3; no "
        f"data node: give a nodeSet the data role; StatefulSet name {statefulset} is longer "
        f"than 52 characters; StatefulSet name {statefulset} is longer than 52 characters"
    )
    with pytest.raises(ValueError) as error:
        ClusterSpec(name="c" * 37, namespace="ns")
    assert str(error.value) == (
        f"Elasticsearch name {'c' * 37!r}: a DNS label of at most 36 characters (ECK's limit)"
    )


def test_roles_grant_writers_and_readers_exactly_what_they_need():
    roles = [
        client_role("loader-write", IndexAccess.WRITE, ["clicks-*"]),
        client_role("analytics-read", IndexAccess.READ, ["clicks-*", "sessions"]),
        Role("metrics-exporter-monitor", ("monitor",)),
    ]
    assert yaml.safe_load(roles_yaml(roles)) == {
        "loader-write": {
            "cluster": ["monitor"],
            "indices": [
                {
                    "names": ["clicks-*"],
                    "privileges": ["create_index", "write", "view_index_metadata"],
                }
            ],
        },
        "analytics-read": {
            "cluster": ["monitor"],
            "indices": [
                {"names": ["clicks-*", "sessions"], "privileges": ["read", "view_index_metadata"]}
            ],
        },
        "metrics-exporter-monitor": {"cluster": ["monitor"]},
    }
    with pytest.raises(ValueError) as error:
        roles_yaml([roles[0], roles[0]])
    assert str(error.value) == "roles defined twice: loader-write"
    with pytest.raises(ValueError) as error:
        client_role("loader-write", IndexAccess.WRITE, [])
    assert str(error.value) == "role loader-write: give the index patterns it may write"


def test_kibana_is_valid_restricted_and_tied_to_its_cluster(crds_dir: Path):
    kibana = kibana_body(SPEC, KibanaSpec("clicks-kibana", 1, MEMORY_8GI))
    validate_custom(kibana, crds_dir)
    spec = kibana["spec"]
    assert spec["elasticsearchRef"] == {"name": "clicks"}
    assert spec["version"] == "9.4.3"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "kb"}}
    assert validate_builtin({**pod, "spec": spec["podTemplate"]["spec"]})
    names = [
        c["name"]
        for part in ("containers", "initContainers")
        for c in spec["podTemplate"]["spec"][part]
    ]
    assert names == ["kibana", "elastic-internal-init-config"]


def test_names_clients_are_handed():
    names = EckNames("clicks")
    assert names.http_service == "clicks-es-http"
    assert names.ca_secret == "clicks-es-http-certs-public"
    assert names.elastic_user_secret == "clicks-es-elastic-user"
    assert names.local_url() == "https://clicks-es-http:9200"
    assert names.local_url(tls=False) == "http://clicks-es-http:9200"
