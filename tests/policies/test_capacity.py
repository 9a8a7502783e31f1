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
from tests.policies.test_claims import spark_application

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


def test_spark_plans_a_scratch_claim_per_executor_it_may_run():
    job = spark_application(CLASS)
    capacity = plan([storage_class(CLASS), job], VOLUME_READERS, ["a"])
    assert [(row.volumes, row.requested) for row in capacity.classes] == [(2, 40 * GI)]
    # With dynamic allocation, as many as it may start.
    job.props["spec"]["dynamicAllocation"] = {"enabled": True, "maxExecutors": 5}
    capacity = plan([storage_class(CLASS), job], VOLUME_READERS, ["a"])
    assert [(row.volumes, row.requested) for row in capacity.classes] == [(5, 100 * GI)]


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


def _claimed(resources: list[dict]) -> dict[str, tuple[int, int]]:
    """Volumes and bytes per class that Kafka node pools, Elasticsearch nodeSets, claims,
    StatefulSets' claim templates and Spark's on-demand scratch claim, read from the manifests
    here, independently of the capacity module."""
    # Numbers come back from the mocks as floats, as from a real engine.
    claims: list[tuple[str, int, str]] = []
    for r in resources:
        kind, spec = r["type"].rsplit(":", 1)[-1], r["props"].get("spec", {})
        if kind == "KafkaNodePool":
            claims += [
                (volume["class"], int(spec["replicas"]), volume["size"])
                for volume in spec["storage"]["volumes"]
            ]
        elif kind == "Elasticsearch":
            claims += [
                (t["spec"]["storageClassName"], int(n["count"]), _size(t))
                for n in spec["nodeSets"]
                for t in n["volumeClaimTemplates"]
            ]
        elif kind == "PersistentVolumeClaim":
            claims.append((spec["storageClassName"], 1, _size(r["props"])))
        elif kind == "StatefulSet":
            claims += [
                (t["spec"]["storageClassName"], int(spec["replicas"]), _size(t))
                for t in spec.get("volumeClaimTemplates", ())
            ]
        elif kind == "SparkApplication":
            scratch = "spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1"
            conf = spec["sparkConf"]
            claims.append(
                (
                    conf[f"{scratch}.options.storageClass"],
                    int(spec["dynamicAllocation"]["maxExecutors"]),
                    conf[f"{scratch}.options.sizeLimit"],
                )
            )
    totals: dict[str, tuple[int, int]] = {}
    for class_name, count, size in claims:
        volumes, size_bytes = totals.get(class_name, (0, 0))
        totals[class_name] = (volumes + count, size_bytes + count * int(parse_quantity(size)))
    return totals


def _size(claim: dict) -> str:
    return claim["spec"]["resources"]["requests"]["storage"]


def test_the_prod_plan_adds_up_to_the_volumes_of_every_element(stack_outputs):
    out = stack_outputs["prod"]
    expected = _claimed(json.loads((out / "resources.json").read_text()))
    document = json.loads(_check_json("prod"))
    rows = {row["role"]: row for row in document["capacity"]["classes"]}
    planned = {row["class"]: (row["volumes"], row["requestedBytes"]) for row in rows.values()}
    assert planned == expected
    # Per pipeline: 3 controllers + 3 brokers, 3 masters + 3 data nodes.
    assert rows["replicated"]["volumes"] == 2 * (6 + 6)
    # Spark's checkpoints and TensorFlow's model.
    assert rows["shared"]["volumes"] == 2
    # Spark's scratch per executor (dynamic allocation's most: 6), a TensorFlow worker's (3).
    assert rows["scratch"]["volumes"] == 6 + 3
    for row in rows.values():
        assert row["rawBytes"] == row["requestedBytes"] * row["repl"]
    zones = document["capacity"]["zones"]
    assert [z["zone"] for z in zones] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert sum(z["volumes"] for z in zones) == sum(r["volumes"] for r in rows.values())
    assert sum(z["requestedBytes"] for z in zones) == sum(
        r["requestedBytes"] for r in rows.values()
    )
    by_namespace = {
        q["namespace"]: q for q in document["capacity"]["quotas"] if q["class"] == "(any class)"
    }
    assert sum(q["claimedBytes"] for q in by_namespace.values()) == sum(
        size for _, size in expected.values()
    )
    assert not any(q["overQuota"] for q in document["capacity"]["quotas"])


def _check_json(stack: str, *args: str) -> str:
    result = run_cli("--stack", stack, "--json", *args)
    assert result.returncode in (0, 1), result.stderr
    return result.stdout


def test_a_pipeline_whose_kafka_outgrows_its_quota_is_flagged(tmp_path):
    config = committed_stack_config("prod")
    config["data-pipeline:pipelines"]["telemetry"]["storage"]["replicated"] = "1Ti"
    # Without Autopilot's claim growth, which the config would refuse first for that quota.
    del config["data-pipeline:autopilot"]["claims"]
    result = run_cli(
        "--stack", "prod", "--json", "--stack-file", str(write_stack(tmp_path, config))
    )
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    over = [q for q in document["capacity"]["quotas"] if q["overQuota"]]
    assert [(q["namespace"], q["claimed"], q["quota"]) for q in over] == [
        ("dp-prod-telemetry", "1670Gi", "1324Gi"),
        ("dp-prod-telemetry", "1590Gi", "1Ti"),
    ]
    assert {v["policy"] for v in document["violations"]} == {POLICY}


def test_the_text_summary_shows_the_plan(capsys):
    assert check.main(["--stack", "dev"]) == 0
    out = capsys.readouterr().out
    assert "Capacity (requested, and raw = requested x repl)" in out
    # Kafka 3 x 10Gi and Elasticsearch 3 x 10Gi on the replicated class, Spark's checkpoints
    # 5Gi and one executor's scratch 5Gi; db 20Gi unclaimed.
    assert "dp-dev-clickstream (any class): claims 70Gi, quota 150Gi" in out
