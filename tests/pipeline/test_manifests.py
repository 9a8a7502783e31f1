"""Every object the program emits is valid: Kubernetes kinds against the OpenAPI schema of the
oldest supported release (strict: no undeclared field), custom resources against their CRDs."""

from __future__ import annotations

import jsonschema
import pytest
import yaml

from tests.conftest import STACKS, minimal_config, run_with_config
from tests.schemas import NoSchema, validate_builtin, validate_custom

SMALL_NODES = {
    "count": 3,
    "storage": "10Gi",
    "heap": "1Gi",
    "resources": {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"cpu": "1", "memory": "2Gi"},
    },
}
# Every feature at once, so that no optional object escapes validation.
KITCHEN_SINK = minimal_config(
    storage={
        "classes": {
            "db": {"repl": 3, "encryptionKey": "created", "ioProfile": "db_remote"},
            "shared": {"sharedv4": True, "encryptionKey": "synced", "nodiscard": True},
            "scratch": {"repl": 1, "reclaimPolicy": "Delete", "zoneSpread": False},
        },
        "encryptionKeys": {
            "created": {"passphrase": "not-a-real-passphrase"},
            "synced": {"existingSecret": {"name": "vault-key", "key": "pw"}},
        },
        "placement": {"zoneSpread": True},
        "snapshots": {"cloud": {"enabled": True, "credentialId": "s3"}},
        "stork": True,
    },
    pipelines={
        "a": {
            "storage": {"db": "2Ti", "shared": "2Gi", "scratch": "50Gi"},
            "kafka": {
                "storageRole": "db",
                "authentication": "scram-sha-512",
                "plaintextListener": True,
                "clientNamespaces": ["ingest"],
                "config": {"num.io.threads": 16},
                "brokers": {
                    "replicas": 3,
                    "volumes": 2,
                    "storage": "10Gi",
                    "heap": "1Gi",
                    "resources": {
                        "requests": {"cpu": "1", "memory": "4Gi"},
                        "limits": {"cpu": "2", "memory": "4Gi"},
                    },
                },
                "topics": {"events": {"partitions": 3, "config": {"retention.ms": 1000}}},
                "clients": {
                    "writer": {"produces": ["events"]},
                    "reader": {"consumes": ["events"], "group": "readers"},
                },
            },
            "elasticsearch": {
                "masters": {**SMALL_NODES, "storageRole": "db"},
                "data": {**SMALL_NODES, "storageRole": "db"},
                "kibana": {"enabled": True},
                "clients": {"reporting": {"privileges": "read", "indices": ["events*"]}},
            },
            "loader": {
                "pluginDelivery": "imageArtifact",
                "pluginImage": "registry.example.com/es-sink-plugin:16.0.1",
                "connectors": {
                    "events": {"topics": ["events"], "index": {"name": "events-all", "alias": True}}
                },
            },
            "analytics": {
                "spark": {
                    "checkpoint": {"role": "shared", "size": "1Gi"},
                    "scratch": {"role": "scratch", "size": "5Gi"},
                    "jobs": {
                        "stream": {
                            "type": "streaming",
                            "mainApplicationFile": "local:///opt/spark/jars/stream.jar",
                            "mainClass": "org.example.Stream",
                            "reads": {"topics": ["events"]},
                            "driver": {"memoryOverhead": "512m"},
                            "dynamicAllocation": {"enabled": True, "min": 1, "max": 3},
                        },
                        "daily": {
                            "type": "scheduled",
                            "schedule": "0 3 * * *",
                            "mainApplicationFile": "local:///opt/spark/work-dir/daily.py",
                            "reads": {"indices": ["events-all"]},
                        },
                    },
                }
            },
        },
        "b": {
            "storage": {"scratch": "3Gi", "db": "1Ti", "shared": "5Gi"},
            "kafka": {
                "storageRole": "db",
                "nodePools": "combined",
                "topics": {"logs": {}},
            },
            "elasticsearch": {"nodeSets": "combined", "data": {**SMALL_NODES, "storageRole": "db"}},
            "loader": {
                "image": "registry.example.com/connect-es:16.0.1-kafka-4.3.1",
                "connectors": {"logs": {"topics": ["logs"]}},
            },
            "analytics": {
                "tensorflow": {
                    "image": "registry.example.com/scorer:2.18.0",
                    "kind": "Deployment",
                    "gpus": 1,
                    "command": ["/usr/bin/tf_serving_entrypoint.sh"],
                    "args": ["--monitoring_config_file=/etc/tf/monitoring.config"],
                    "model": {"size": "1Gi"},
                    "scratch": {"size": "1Gi"},
                    "reads": {"topics": ["logs"], "indices": ["logs*"]},
                    "metrics": {},
                }
            },
        },
    },
    operators={"strimzi": {"install": True}},
    kubernetes={"zones": ["a", "b", "c"]},
    monitoring={"selectorLabels": {"release": "prom"}},
)


def kitchen_sink_manifests() -> list[dict]:
    run = run_with_config(KITCHEN_SINK, secret_keys=("storage",))
    return [
        dict(r.props)
        for r in run.resources
        if r.custom and r.type.startswith("kubernetes:") and "providers" not in r.type
    ]


def stack_manifests(folder) -> list[dict]:
    return [yaml.safe_load(path.read_text()) for path in sorted((folder / "k8s").glob("*.yaml"))]


@pytest.fixture(scope="module")
def manifests_by_schema(stack_outputs) -> dict[str, list[dict]]:
    """All manifests, each validated once against Kubernetes; the rest are custom resources."""
    validated: dict[str, list[dict]] = {"builtin": [], "custom": []}
    manifests = kitchen_sink_manifests()
    for stack in STACKS:
        manifests += stack_manifests(stack_outputs[stack])
    for manifest in manifests:
        validated["builtin" if validate_builtin(manifest) else "custom"].append(manifest)
    return validated


def test_builtin_kinds_are_valid_in_the_oldest_supported_kubernetes(manifests_by_schema):
    kinds = {m["kind"] for m in manifests_by_schema["builtin"]}
    assert kinds == {
        "StorageClass",
        "Namespace",
        "ResourceQuota",
        "LimitRange",
        "NetworkPolicy",
        "Secret",
        "ConfigMap",
        "Deployment",
        "StatefulSet",
        "Service",
        "PodDisruptionBudget",
        "PersistentVolumeClaim",
        "ServiceAccount",
        "Role",
        "RoleBinding",
    }


def test_custom_resources_are_valid_against_their_crds(manifests_by_schema, crds_dir):
    custom = manifests_by_schema["custom"]
    assert {m["kind"] for m in custom} == {
        "VolumePlacementStrategy",
        "VolumeSnapshotClass",
        "Kafka",
        "KafkaNodePool",
        "KafkaTopic",
        "KafkaUser",
        "PodMonitor",
        "ServiceMonitor",
        "PrometheusRule",
        "Elasticsearch",
        "Kibana",
        "KafkaConnect",
        "KafkaConnector",
        "SparkApplication",
        "ScheduledSparkApplication",
        "AutopilotRule",
        "SchedulePolicy",
        "BackupLocation",
        "VolumeSnapshotSchedule",
        "Rule",
        "ApplicationBackupSchedule",
    }
    for manifest in custom:
        validate_custom(manifest, crds_dir)


def test_the_validators_reject_what_a_cluster_would_prune_or_refuse(crds_dir):
    # The checks above are only worth something if they can fail.
    bad_class = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": "x"},
        "provisioner": "pxd.portworx.com",
        "storageClassName": "misplaced",
    }
    with pytest.raises(jsonschema.ValidationError):
        validate_builtin(bad_class)
    misspelt = {
        "apiVersion": "snapshot.storage.k8s.io/v1",
        "kind": "VolumeSnapshotClass",
        "metadata": {"name": "x"},
        "driver": "pxd.portworx.com",
        "deletionPolicy": "Retain",
        "parameter": {},
    }
    with pytest.raises(jsonschema.ValidationError, match="parameter"):
        validate_custom(misspelt, crds_dir)
    with pytest.raises(NoSchema):
        validate_custom({**misspelt, "apiVersion": "snapshot.storage.k8s.io/v1beta1"}, crds_dir)
