"""Build resources and run single policies, both through our engine and through pulumi_policy."""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path
from typing import Any

from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policies import evaluate as evaluate_command
from policies.engine import ResourcePolicy, evaluate, resolve, to_pulumi_policy
from policies.pack import POLICIES
from policies.record import Resource

STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
SNAPSHOT_CLASS = "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
STRIMZI_GROUP = "kubernetes:kafka.strimzi.io"
ECK_GROUP = "kubernetes:elasticsearch.k8s.elastic.co"

# The broker config the program writes (components/strimzi.py), as far as the policies read it.
DURABLE_BROKER_CONFIG = {
    "default.replication.factor": 3,
    "min.insync.replicas": 2,
    "unclean.leader.election.enable": False,
}
TLS_LISTENER = {"name": "tls", "port": 9093, "type": "internal", "tls": True}

GOOD_PARAMETERS = {
    "repl": "3",
    "secure": "true",
    "io_profile": "auto",
    "priority_io": "high",
    "fs": "ext4",
}


def storage_class(
    name: str = "px-prod-db-0a1b2c3d", role: str | None = "db", **changes: Any
) -> Resource:
    props: dict[str, Any] = {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": name,
            "labels": {"data-pipeline.io/storage-role": role} if role else {},
        },
        "provisioner": "pxd.portworx.com",
        "parameters": dict(GOOD_PARAMETERS),
        "reclaimPolicy": "Retain",
        "allowVolumeExpansion": True,
        "volumeBindingMode": "WaitForFirstConsumer",
    }
    for key, value in changes.items():
        if key == "parameters":
            props["parameters"] = {
                k: v for k, v in {**props["parameters"], **value}.items() if v is not None
            }
        elif value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return Resource(STORAGE_CLASS, f"storage-{role or 'x'}", props, f"urn:{name}")


def snapshot_class(**changes: Any) -> Resource:
    props = {
        "apiVersion": "snapshot.storage.k8s.io/v1",
        "kind": "VolumeSnapshotClass",
        "metadata": {"name": "px-prod-local-snapshots"},
        "driver": "pxd.portworx.com",
        "deletionPolicy": "Retain",
        "parameters": {"csi.openstorage.org/snapshot-type": "local"},
        **changes,
    }
    return Resource(SNAPSHOT_CLASS, "storage-local-snapshots", props, "urn:snap")


def pvc(name: str = "data", class_name: str | None = "px-prod-db-0a1b2c3d") -> Resource:
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": "1Gi"}},
    }
    if class_name is not None:
        spec["storageClassName"] = class_name
    props = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": spec,
    }
    return Resource(PVC, name, props, f"urn:pvc:{name}")


def stateful_set(*class_names: str | None) -> Resource:
    templates = []
    for index, class_name in enumerate(class_names):
        spec = {"accessModes": ["ReadWriteOnce"]}
        if class_name is not None:
            spec["storageClassName"] = class_name
        templates.append({"metadata": {"name": f"data-{index}"}, "spec": spec})
    props = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "broker"},
        "spec": {"serviceName": "broker", "volumeClaimTemplates": templates},
    }
    return Resource(STATEFUL_SET, "broker", props, "urn:sts")


def _strimzi(kind: str, name: str, spec: dict[str, Any], version: str, **metadata: Any) -> Resource:
    props = {
        "apiVersion": f"kafka.strimzi.io/{version}",
        "kind": kind,
        "metadata": {"name": name, "namespace": "events", **metadata},
        "spec": spec,
    }
    return Resource(f"{STRIMZI_GROUP}/{version}:{kind}", name, props, f"urn:{kind}:{name}")


def kafka(
    name: str = "events",
    config: dict[str, Any] | None = None,
    listeners: list[dict[str, Any]] | None = None,
    version: str = "v1",
) -> Resource:
    """A Kafka cluster with the program's durable config, ``config`` overlaid on it (a None
    value leaves the key out), and one TLS listener with TLS client authentication."""
    broker_config = {
        key: value
        for key, value in {**DURABLE_BROKER_CONFIG, **(config or {})}.items()
        if value is not None
    }
    if listeners is None:
        listeners = [{**TLS_LISTENER, "authentication": {"type": "tls"}}]
    spec = {"kafka": {"listeners": listeners, "config": broker_config}}
    return _strimzi("Kafka", name, spec, version)


def kafka_topic(
    name: str = "clicks",
    replicas: int | None = 3,
    config: dict[str, Any] | None = None,
    cluster: str | None = "events",
    version: str = "v1",
) -> Resource:
    """A topic of ``cluster`` (None: no strimzi.io/cluster label), in the cluster's namespace."""
    spec: dict[str, Any] = {"partitions": 12, "config": config or {}}
    if replicas is not None:
        spec["replicas"] = replicas
    labels = {"strimzi.io/cluster": cluster} if cluster else {}
    return _strimzi("KafkaTopic", name, spec, version, labels=labels)


def kafka_volume(class_name: str | None = "px-prod-db-0a1b2c3d", **more: Any) -> dict[str, Any]:
    """A persistent-claim volume of a Strimzi storage spec, on ``class_name`` when not None."""
    volume = {"type": "persistent-claim", "size": "100Gi", **more}
    return volume if class_name is None else {**volume, "class": class_name}


def kafka_node_pool(name: str, storage: dict[str, Any], version: str = "v1") -> Resource:
    """A broker pool of the cluster ``events`` with the Strimzi ``storage`` spec given."""
    spec = {"replicas": 3, "roles": ["broker"], "storage": storage}
    return _strimzi("KafkaNodePool", name, spec, version, labels={"strimzi.io/cluster": "events"})


def es_node_set(
    name: str,
    count: float = 3,
    roles: list[str] | str | None = None,
    class_name: str | None = "px-replicated",
    size: str = "50Gi",
) -> dict[str, Any]:
    """A nodeSet of ``count`` nodes with ``node.roles`` (None: unset, so every role) and one
    elasticsearch-data claim template of ``size`` (on ``class_name`` when not None)."""
    spec: dict[str, Any] = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
    }
    if class_name is not None:
        spec["storageClassName"] = class_name
    node_set: dict[str, Any] = {
        "name": name,
        "count": count,
        "volumeClaimTemplates": [{"metadata": {"name": "elasticsearch-data"}, "spec": spec}],
    }
    if roles is not None:
        node_set["config"] = {"node.roles": roles}
    return node_set


# What prod runs: three dedicated masters and two data nodes.
DEDICATED_NODE_SETS = (
    es_node_set("masters", 3, ["master"], size="5Gi"),
    es_node_set("data", 2, ["data", "ingest"]),
)


def elasticsearch(
    *node_sets: dict[str, Any],
    name: str = "logs",
    http: dict[str, Any] | None = None,
    version: str = "v1",
) -> Resource:
    """An ECK Elasticsearch in namespace ``events`` (by default prod's dedicated nodeSets)."""
    spec: dict[str, Any] = {"version": "9.4.3", "nodeSets": list(node_sets or DEDICATED_NODE_SETS)}
    if http is not None:
        spec["http"] = http
    props = {
        "apiVersion": f"elasticsearch.k8s.elastic.co/{version}",
        "kind": "Elasticsearch",
        "metadata": {"name": name, "namespace": "events"},
        "spec": spec,
    }
    return Resource(f"{ECK_GROUP}/{version}:Elasticsearch", name, props, f"urn:es:{name}")


def kafka_connector(
    name: str = "clicks-to-es", config: dict[str, Any] | None = None, version: str = "v1"
) -> Resource:
    """A sink connector of the KafkaConnect ``loader``, with ``config`` as its spec.config."""
    spec = {
        "class": "io.confluent.connect.elasticsearch.ElasticsearchSinkConnector",
        "tasksMax": 2,
        "config": config or {},
    }
    labels = {"strimzi.io/cluster": "loader"}
    return _strimzi("KafkaConnector", name, spec, version, labels=labels)


def kafka_connect(
    name: str = "loader", config: dict[str, Any] | None = None, version: str = "v1"
) -> Resource:
    """A KafkaConnect of the cluster ``events``, with ``config`` as its worker config."""
    spec = {
        "replicas": 2,
        "bootstrapServers": "events-kafka-bootstrap:9093",
        "config": config or {},
    }
    return _strimzi("KafkaConnect", name, spec, version)


SHARED_CLASS = "px-prod-shared-7ac334cc"
DB_CLASS = "px-prod-db-0a1b2c3d"
SPARK_GROUP = "kubernetes:sparkoperator.k8s.io/v1beta2"


def shared_storage_class() -> Resource:
    """The catalog's sharedv4 class (role shared), which serves ReadWriteMany claims."""
    return storage_class(SHARED_CLASS, "shared", parameters={"sharedv4": "true"})


def claim_template(class_name: str, *modes: str) -> dict[str, Any]:
    """A claim (or claim template) of 10Gi on ``class_name`` with the access ``modes``."""
    return {
        "metadata": {"name": "data"},
        "spec": {
            "accessModes": list(modes),
            "storageClassName": class_name,
            "resources": {"requests": {"storage": "10Gi"}},
        },
    }


def claim(name: str, class_name: str, *modes: str) -> Resource:
    """A PersistentVolumeClaim ``name`` of 10Gi on ``class_name`` with the access ``modes``."""
    template = claim_template(class_name, *modes)
    props = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", **template}
    props["metadata"] = {"name": name}
    return Resource(PVC, name, props, f"urn:pvc:{name}")


def ephemeral_volume(class_name: str, *modes: str) -> dict[str, Any]:
    """A generic ephemeral volume ``scratch`` whose claim is on ``class_name``."""
    template = claim_template(class_name, *modes)
    return {"name": "scratch", "ephemeral": {"volumeClaimTemplate": {"spec": template["spec"]}}}


# What the program's pods set (components/pods.py): the "restricted" Pod Security Standard.
RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
}
LIMITED = {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"cpu": 1, "memory": "64Mi"}}


def container(name: str = "worker", **changes: Any) -> dict[str, Any]:
    """A restricted container with limits, ``changes`` overlaid (a None value drops the key)."""
    fields = {
        "name": name,
        "image": "registry.example/worker:1.0",
        "securityContext": RESTRICTED_CONTAINER,
        "resources": LIMITED,
        **changes,
    }
    return {key: value for key, value in fields.items() if value is not None}


POD_KINDS = {
    "Pod": ("core/v1", ("spec",)),
    "Deployment": ("apps/v1", ("spec", "template", "spec")),
    "StatefulSet": ("apps/v1", ("spec", "template", "spec")),
    "DaemonSet": ("apps/v1", ("spec", "template", "spec")),
    "ReplicaSet": ("apps/v1", ("spec", "template", "spec")),
    "Job": ("batch/v1", ("spec", "template", "spec")),
    "CronJob": ("batch/v1", ("spec", "jobTemplate", "spec", "template", "spec")),
}
"""API version and pod-spec path of each kind that runs pods."""


def workload(kind: str, name: str = "worker", **pod_spec: Any) -> Resource:
    """A ``kind`` (of POD_KINDS) whose pods run ``pod_spec``: by default one restricted
    container with limits, under a restricted pod securityContext."""
    version, path = POD_KINDS[kind]
    spec: dict[str, Any] = {
        "securityContext": RESTRICTED_POD,
        "containers": [container()],
        **pod_spec,
    }
    for key in reversed(path[1:]):
        spec = {key: spec}
    props = {
        "apiVersion": version.removeprefix("core/"),
        "kind": kind,
        "metadata": {"name": name},
        path[0]: spec,
    }
    return Resource(f"kubernetes:{version}:{kind}", name, props, f"urn:{kind}:{name}")


def spark_role(**changes: Any) -> dict[str, Any]:
    """A driver's or executors' settings: restricted, with a CPU limit and memory; ``changes``
    overlaid (a None value drops the key)."""
    fields = {
        "cores": 1,
        "coreLimit": "1200m",
        "memory": "2g",
        "podSecurityContext": {**RESTRICTED_POD, "fsGroup": 185},
        "securityContext": {**RESTRICTED_CONTAINER, "runAsUser": 185},
        **changes,
    }
    return {key: value for key, value in fields.items() if value is not None}


def spark_application(
    name: str = "clicks-stream",
    driver: dict[str, Any] | None = None,
    executor: dict[str, Any] | None = None,
    volumes: list[dict[str, Any]] | None = None,
    scheduled: bool = False,
) -> Resource:
    """A SparkApplication (or, ``scheduled``, a ScheduledSparkApplication whose template is the
    same spec) with restricted driver and executor settings unless given."""
    spec: dict[str, Any] = {
        "type": "Python",
        "mode": "cluster",
        "image": "apache/spark:4.0.4",
        "mainApplicationFile": "local:///opt/app/stream.py",
        "sparkVersion": "4.0.4",
        "driver": driver or spark_role(),
        "executor": executor or {**spark_role(), "instances": 2},
    }
    if volumes is not None:
        spec["volumes"] = volumes
    kind = "ScheduledSparkApplication" if scheduled else "SparkApplication"
    if scheduled:
        spec = {"schedule": "@hourly", "template": spec}
    props = {
        "apiVersion": "sparkoperator.k8s.io/v1beta2",
        "kind": kind,
        "metadata": {"name": name, "namespace": "events"},
        "spec": spec,
    }
    return Resource(f"{SPARK_GROUP}:{kind}", name, props, f"urn:{kind}:{name}")


def policy_named(name: str):
    return next(p for p in POLICIES if p.name == name)


def messages(name: str, resources: list[Resource], settings: dict | None = None) -> list[str]:
    """Violations of one policy, through the engine the check and the evaluator use."""
    resolved = [r for r in resolve(POLICIES, {name: settings or {}}) if r.policy.name == name]
    return [v.message for v in evaluate(resolved, resources).violations]


def pulumi_messages(
    name: str, resources: list[Resource], settings: dict | None = None
) -> list[str]:
    """Violations of one policy, through the pulumi_policy object the pack registers, with
    props wrapped as Pulumi wraps them (mappings and sequences that check for unknowns)."""
    policy = policy_named(name)
    built = to_pulumi_policy(policy)
    reported: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        reported.append(message)

    if isinstance(policy, ResourcePolicy):
        for resource in resources:
            args = ResourceValidationArgs(
                resource.type,
                unknown_checking_proxy(resource.props),
                resource.urn,
                resource.name,
                _options(),
                None,
                settings or {},
            )
            built.validate(args, report)
    else:
        policy_resources = [
            PolicyResource(
                r.type,
                unknown_checking_proxy(r.props),
                r.urn,
                r.name,
                _options(),
                None,
                None,
                [],
                {},
            )
            for r in resources
        ]
        by_urn = {r.urn: r for r in policy_resources}
        for policy_resource, resource in zip(policy_resources, resources, strict=True):
            policy_resource.dependencies = [by_urn[urn] for urn in resource.dependencies]
        built.validate(StackValidationArgs(policy_resources, settings or {}), report)
    return reported


def _options() -> PolicyResourceOptions:
    return PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])


def json_paths(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path into a JSON value (keys and list indexes), the value's own ``()`` first."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += json_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += json_paths(item, (*path, index))
    return found


def run_evaluate(document: Any, file_name: str, *args: str) -> tuple[int, str, str]:
    """``python -m policies.evaluate`` on ``document`` written to ``file_name``, in-process:
    exit code, stdout and stderr."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / file_name
        path.write_text(json.dumps(document))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = evaluate_command.main([str(path), *args])
    return code, out.getvalue(), err.getvalue()
