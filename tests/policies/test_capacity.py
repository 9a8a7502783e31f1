"""The capacity plan adds up, and the quota policy stops claims a namespace could never hold."""

from __future__ import annotations

import json

import pytest

from components.quantities import parse_quantity
from pipeline import check
from policies.capacity import plan
from policies.pack import VOLUME_READERS
from policies.record import Resource
from tests.pipeline.test_check import committed_stack_config, run_cli, write_stack
from tests.policies.helpers import messages, pulumi_messages, storage_class

GI = 2**30
POLICY = "storage-claims-within-quota"


def quota(namespace: str, hard: dict[str, str]) -> Resource:
    props = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "storage-by-role", "namespace": namespace},
        "spec": {"hard": hard},
    }
    return Resource(
        "kubernetes:core/v1:ResourceQuota", f"{namespace}-storage", props, f"urn:q:{namespace}"
    )


def node_pool(namespace: str, replicas: int, sizes: list[str], class_name: str) -> Resource:
    volumes = [
        {
            "id": i,
            "type": "persistent-claim",
            "size": size,
            "class": class_name,
            "deleteClaim": False,
        }
        for i, size in enumerate(sizes)
    ]
    props = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaNodePool",
        "metadata": {"name": "brokers", "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "roles": ["broker"],
            "storage": {"type": "jbod", "volumes": volumes},
        },
    }
    return Resource(
        "kubernetes:kafka.strimzi.io/v1:KafkaNodePool", "brokers", props, f"urn:p:{namespace}"
    )


CLASS = "px-prod-db-0a1b2c3d"  # repl 3 (helpers.GOOD_PARAMETERS)


def claims(quota_db: str = "100Gi", total: str = "100Gi") -> list[Resource]:
    return [
        storage_class(CLASS),
        quota(
            "ns",
            {
                f"{CLASS}.storageclass.storage.k8s.io/requests.storage": quota_db,
                "requests.storage": total,
            },
        ),
        node_pool("ns", 3, ["10Gi", "20Gi"], CLASS),
    ]


def test_a_pool_counts_replicas_times_its_volumes():
    capacity = plan(claims(), VOLUME_READERS, ["a", "b"])
    (row,) = capacity.classes
    assert (row.class_name, row.role, row.repl, row.volumes) == (CLASS, "db", 3, 6)
    assert (row.requested, row.raw) == (90 * GI, 270 * GI)
    # Three pods over two zones: two in one, one in the other, each with both volumes.
    assert [(z.zone, z.volumes, z.requested) for z in capacity.zones] == [
        ("a", 4, 60 * GI),
        ("b", 2, 30 * GI),
    ]


@pytest.mark.parametrize("run", [messages, pulumi_messages])
def test_claims_within_the_quota_pass(run):
    assert run(POLICY, claims()) == []


@pytest.mark.parametrize("run", [messages, pulumi_messages])
def test_claims_over_the_quota_fail_per_class_and_in_all(run):
    assert run(POLICY, claims(quota_db="50Gi", total="80Gi")) == [
        "the claims of namespace 'ns' request 90Gi in all, more than its quota of 80Gi: the "
        "volumes over it would never be provisioned; raise the pipeline's storage quota for the "
        "role or claim less",
        f"the claims of namespace 'ns' request 90Gi on class '{CLASS}', more than its quota of "
        "50Gi: the volumes over it would never be provisioned; raise the pipeline's storage "
        "quota for the role or claim less",
    ]


def _claimed(resources: list[dict]) -> tuple[int, int]:
    """Volumes and bytes the plan's Kafka node pools and Elasticsearch nodeSets claim, read
    from the manifests here, independently of the capacity module."""
    # Numbers come back from the mocks as floats, as from a real engine.
    claims = [
        (int(pool["spec"]["replicas"]), volume["size"])
        for r in resources
        if r["type"].endswith(":KafkaNodePool")
        for pool in [r["props"]]
        for volume in pool["spec"]["storage"]["volumes"]
    ] + [
        (int(node_set["count"]), template["spec"]["resources"]["requests"]["storage"])
        for r in resources
        if r["type"].endswith(":Elasticsearch")
        for node_set in r["props"]["spec"]["nodeSets"]
        for template in node_set["volumeClaimTemplates"]
    ]
    volumes = sum(count for count, _ in claims)
    return volumes, sum(count * int(parse_quantity(size)) for count, size in claims)


def test_the_prod_plan_adds_up_to_the_volumes_of_its_pools_and_node_sets(stack_outputs):
    out = stack_outputs["prod"]
    expected_volumes, expected_bytes = _claimed(json.loads((out / "resources.json").read_text()))
    document = json.loads(_check_json("prod"))
    (row,) = document["capacity"]["classes"]
    # Per pipeline: 3 controllers + 3 brokers, 3 masters + 3 data nodes.
    assert row["volumes"] == expected_volumes == 2 * (6 + 6)
    assert row["requestedBytes"] == expected_bytes
    assert row["rawBytes"] == expected_bytes * row["repl"] == expected_bytes * 2
    zones = document["capacity"]["zones"]
    assert [z["zone"] for z in zones] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert sum(z["volumes"] for z in zones) == row["volumes"]
    assert sum(z["requestedBytes"] for z in zones) == row["requestedBytes"]
    by_namespace = {
        q["namespace"]: q for q in document["capacity"]["quotas"] if q["class"] == "(any class)"
    }
    assert sum(q["claimedBytes"] for q in by_namespace.values()) == expected_bytes
    assert not any(q["overQuota"] for q in document["capacity"]["quotas"])


def _check_json(stack: str, *args: str) -> str:
    result = run_cli("--stack", stack, "--json", *args)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def test_a_pipeline_whose_kafka_outgrows_its_quota_is_flagged(tmp_path):
    config = committed_stack_config("prod")
    config["data-pipeline:pipelines"]["telemetry"]["storage"]["replicated"] = "1Ti"
    result = run_cli(
        "--stack", "prod", "--json", "--stack-file", str(write_stack(tmp_path, config))
    )
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    over = [q for q in document["capacity"]["quotas"] if q["overQuota"]]
    assert [(q["namespace"], q["claimed"], q["quota"]) for q in over] == [
        ("dp-prod-telemetry", "1590Gi", "1224Gi"),
        ("dp-prod-telemetry", "1590Gi", "1Ti"),
    ]
    assert {v["policy"] for v in document["violations"]} == {POLICY}


def test_the_text_summary_shows_the_plan(capsys):
    assert check.main(["--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert "Capacity (requested, and raw = requested x repl)" in out
    # Kafka 3 x 10Gi and Elasticsearch 3 x 10Gi on the replicated class, db 20Gi unclaimed.
    assert "dp-dev-clickstream (any class): claims 60Gi, quota 120Gi" in out
