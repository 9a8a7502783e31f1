"""The catalog policy on every way a pod claims storage: PVCs, claim templates, generic ephemeral
volumes of any pod spec, and the storage of the operators' custom resources."""

from __future__ import annotations

from typing import Any

import pytest

from policies.record import Resource
from tests.policies.helpers import messages, pulumi_messages, pvc, storage_class

CATALOG = storage_class("px-prod-db-0a1b2c3d")
POLICY = "storage-approved-classes"


def ephemeral_volume(class_name: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"]}
    if class_name is not None:
        spec["storageClassName"] = class_name
    return {"name": "cache", "ephemeral": {"volumeClaimTemplate": {"spec": spec}}}


def pod_spec(class_name: str | None) -> dict[str, Any]:
    return {
        "containers": [{"name": "app", "image": "app:1"}],
        "volumes": [{"name": "config", "configMap": {"name": "app"}}, ephemeral_volume(class_name)],
    }


def nest(path: tuple[str, ...], leaf: dict[str, Any]) -> dict[str, Any]:
    for key in reversed(path):
        leaf = {key: leaf}
    return leaf


# (type token, where the pod spec is)
WORKLOADS = [
    ("kubernetes:core/v1:Pod", ("spec",)),
    ("kubernetes:core/v1:ReplicationController", ("spec", "template", "spec")),
    ("kubernetes:apps/v1:Deployment", ("spec", "template", "spec")),
    ("kubernetes:apps/v1:ReplicaSet", ("spec", "template", "spec")),
    ("kubernetes:apps/v1:DaemonSet", ("spec", "template", "spec")),
    ("kubernetes:apps/v1:StatefulSet", ("spec", "template", "spec")),
    ("kubernetes:batch/v1:Job", ("spec", "template", "spec")),
    ("kubernetes:batch/v1:CronJob", ("spec", "jobTemplate", "spec", "template", "spec")),
    ("kubernetes:batch/v1beta1:CronJob", ("spec", "jobTemplate", "spec", "template", "spec")),
]


def workload(type_: str, path: tuple[str, ...], class_name: str | None) -> Resource:
    kind = type_.rsplit(":", 1)[-1]
    props = {"kind": kind, "metadata": {"name": "app"}, **nest(path, pod_spec(class_name))}
    return Resource(type_, "app", props, f"urn:{kind}")


@pytest.mark.parametrize(("type_", "path"), WORKLOADS, ids=[w[0] for w in WORKLOADS])
@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
def test_ephemeral_volumes_of_every_pod_spec_are_judged(run, type_, path):
    kind = type_.rsplit(":", 1)[-1]
    where = ".".join(path) + ".volumes[1].ephemeral.volumeClaimTemplate.spec.storageClassName"
    assert run(POLICY, [CATALOG, workload(type_, path, "px-prod-db-0a1b2c3d")]) == []
    assert run(POLICY, [CATALOG, workload(type_, path, "rogue")]) == [
        f"{kind} \"app\" uses class 'rogue' at {where}, which is not in the stack's catalog; "
        "use one of: px-prod-db-0a1b2c3d"
    ]
    assert run(POLICY, [CATALOG, workload(type_, path, None)]) == [
        f'{kind} "app" sets no {where}, so it falls to the cluster\'s default class; use one '
        "of: px-prod-db-0a1b2c3d"
    ]


def test_a_pod_with_an_ephemeral_volume_on_a_rogue_class_fails():
    rogue_pod = Resource(
        "kubernetes:core/v1:Pod",
        "web",
        {"metadata": {"name": "web"}, "spec": pod_spec("fast-ssd")},
        "urn:pod:web",
    )
    assert messages(POLICY, [CATALOG, rogue_pod]) == [
        "Pod \"web\" uses class 'fast-ssd' at "
        "spec.volumes[1].ephemeral.volumeClaimTemplate.spec.storageClassName, which is not in "
        "the stack's catalog; use one of: px-prod-db-0a1b2c3d"
    ]


def test_a_stateful_set_is_judged_on_its_templates_and_its_pods_ephemeral_volumes():
    props = {
        "metadata": {"name": "db"},
        "spec": {
            "template": {"spec": pod_spec("rogue")},
            "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {}}],
        },
    }
    stateful_set = Resource("kubernetes:apps/v1:StatefulSet", "db", props, "urn:sts")
    assert messages(POLICY, [CATALOG, stateful_set]) == [
        "StatefulSet \"db\" uses class 'rogue' at "
        "spec.template.spec.volumes[1].ephemeral.volumeClaimTemplate.spec.storageClassName, "
        "which is not in the stack's catalog; use one of: px-prod-db-0a1b2c3d",
        'StatefulSet "db" sets no spec.volumeClaimTemplates[0].spec.storageClassName, so it falls '
        "to the cluster's default class; use one of: px-prod-db-0a1b2c3d",
    ]


def test_the_beta_annotation_names_a_class_and_the_message_says_where():
    claim = pvc("legacy", None)
    claim.props["metadata"]["annotations"] = {"volume.beta.kubernetes.io/storage-class": "old"}
    assert messages(POLICY, [CATALOG, claim]) == [
        "PersistentVolumeClaim \"legacy\" uses class 'old' at "
        'metadata.annotations["volume.beta.kubernetes.io/storage-class"], which is not in the '
        "stack's catalog; use one of: px-prod-db-0a1b2c3d"
    ]


def test_an_ephemeral_template_may_name_its_class_by_annotation():
    volume = ephemeral_volume(None)
    volume["ephemeral"]["volumeClaimTemplate"]["metadata"] = {
        "annotations": {"volume.beta.kubernetes.io/storage-class": "px-prod-db-0a1b2c3d"}
    }
    props = {"metadata": {"name": "web"}, "spec": {"containers": [], "volumes": [volume]}}
    annotated = Resource("kubernetes:core/v1:Pod", "web", props, "urn:pod")
    assert messages(POLICY, [CATALOG, annotated]) == []


def test_annotation_and_field_must_both_name_catalog_classes():
    claim = pvc("both", "px-prod-db-0a1b2c3d")
    claim.props["metadata"]["annotations"] = {"volume.beta.kubernetes.io/storage-class": "old"}
    # Kubernetes reads the annotation first; a rogue class in either place fails the claim.
    assert messages(POLICY, [CATALOG, claim]) == [
        "PersistentVolumeClaim \"both\" uses class 'old' at "
        'metadata.annotations["volume.beta.kubernetes.io/storage-class"], which is not in the '
        "stack's catalog; use one of: px-prod-db-0a1b2c3d"
    ]


def test_an_empty_class_name_asks_for_no_class_and_the_message_says_so():
    assert messages(POLICY, [CATALOG, pvc("static", "")]) == [
        'PersistentVolumeClaim "static" sets spec.storageClassName to "", which asks for no '
        "class: it binds only volumes made beforehand; use one of: px-prod-db-0a1b2c3d"
    ]


def test_an_empty_catalog_says_the_stack_defines_no_class():
    assert messages(POLICY, [pvc("data", "px-prod-db-0a1b2c3d")]) == [
        "PersistentVolumeClaim \"data\" uses class 'px-prod-db-0a1b2c3d' at "
        "spec.storageClassName, which is not in the stack's catalog; the stack defines no "
        "StorageClass and approvedClasses names none"
    ]


def node_pool(storage: dict[str, Any], version: str = "v1") -> Resource:
    props = {
        "apiVersion": f"kafka.strimzi.io/{version}",
        "kind": "KafkaNodePool",
        "metadata": {"name": "brokers", "labels": {"strimzi.io/cluster": "events"}},
        "spec": {"replicas": 3, "roles": ["broker"], "storage": storage},
    }
    return Resource(f"kubernetes:kafka.strimzi.io/{version}:KafkaNodePool", "brokers", props, "u")


def claim(class_name: str | None = None, **more: Any) -> dict[str, Any]:
    volume = {"type": "persistent-claim", "size": "100Gi", **more}
    return volume if class_name is None else {**volume, "class": class_name}


@pytest.mark.parametrize("version", ["v1", "v1beta2"])
def test_strimzi_node_pool_storage_is_judged(version):
    catalog_class = "px-prod-db-0a1b2c3d"
    good = [
        node_pool(claim(catalog_class), version),
        node_pool({"type": "jbod", "volumes": [claim(catalog_class, id=0)]}, version),
        node_pool({"type": "ephemeral"}, version),
    ]
    assert messages(POLICY, [CATALOG, *good]) == []
    jbod = {
        "type": "jbod",
        "volumes": [claim(catalog_class, id=0), claim(id=1), claim("gp3", id=2)],
    }
    assert messages(POLICY, [CATALOG, node_pool(jbod, version)]) == [
        'KafkaNodePool "brokers" sets no spec.storage.volumes[1].class, so it falls to the '
        "cluster's default class; use one of: px-prod-db-0a1b2c3d",
        "KafkaNodePool \"brokers\" uses class 'gp3' at spec.storage.volumes[2].class, which is "
        "not in the stack's catalog; use one of: px-prod-db-0a1b2c3d",
    ]


def test_strimzi_per_broker_overrides_and_the_old_kafka_storage_are_judged():
    overridden = claim("px-prod-db-0a1b2c3d", overrides=[{"broker": 0, "class": "gp3"}])
    props = {
        "metadata": {"name": "events"},
        "spec": {
            "kafka": {"replicas": 3, "storage": overridden},
            "zookeeper": {"replicas": 3, "storage": claim()},
        },
    }
    kafka = Resource("kubernetes:kafka.strimzi.io/v1beta2:Kafka", "events", props, "urn:kafka")
    assert messages(POLICY, [CATALOG, kafka]) == [
        "Kafka \"events\" uses class 'gp3' at spec.kafka.storage.overrides[0].class, which is not "
        "in the stack's catalog; use one of: px-prod-db-0a1b2c3d",
        'Kafka "events" sets no spec.zookeeper.storage.class, so it falls to the cluster\'s '
        "default class; use one of: px-prod-db-0a1b2c3d",
    ]
    v1_kafka = Resource(
        "kubernetes:kafka.strimzi.io/v1:Kafka",
        "events",
        {"metadata": {"name": "events"}, "spec": {"kafka": {"listeners": []}}},
        "urn:kafka",
    )
    assert messages(POLICY, [CATALOG, v1_kafka]) == []  # node pools hold the storage


def elasticsearch(*node_sets: dict[str, Any]) -> Resource:
    props = {
        "apiVersion": "elasticsearch.k8s.elastic.co/v1",
        "kind": "Elasticsearch",
        "metadata": {"name": "logs"},
        "spec": {"version": "9.4.3", "nodeSets": list(node_sets)},
    }
    return Resource("kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch", "logs", props, "u")


def data_template(class_name: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"resources": {"requests": {"storage": "50Gi"}}}
    if class_name is not None:
        spec["storageClassName"] = class_name
    return {"metadata": {"name": "elasticsearch-data"}, "spec": spec}


def test_eck_node_sets_are_judged_including_the_claim_eck_adds_itself():
    good = elasticsearch(
        {"name": "hot", "count": 3, "volumeClaimTemplates": [data_template("px-prod-db-0a1b2c3d")]},
        # An emptyDir named elasticsearch-data: ECK claims no volume for the data.
        {
            "name": "cold",
            "count": 1,
            "podTemplate": {"spec": {"volumes": [{"name": "elasticsearch-data", "emptyDir": {}}]}},
        },
    )
    assert messages(POLICY, [CATALOG, good]) == []
    bad = elasticsearch(
        {"name": "default", "count": 1},
        {"name": "rogue", "count": 1, "volumeClaimTemplates": [data_template("gp3")]},
        {"name": "scratch", "count": 1, "podTemplate": {"spec": pod_spec("fast")}},
    )
    assert messages(POLICY, [CATALOG, bad]) == [
        'Elasticsearch "logs" sets no spec.nodeSets[0].volumeClaimTemplates entry named '
        "elasticsearch-data, so it falls to the cluster's default class; use one of: "
        "px-prod-db-0a1b2c3d",
        "Elasticsearch \"logs\" uses class 'gp3' at "
        "spec.nodeSets[1].volumeClaimTemplates[0].spec.storageClassName, which is not in the "
        "stack's catalog; use one of: px-prod-db-0a1b2c3d",
        "Elasticsearch \"logs\" uses class 'fast' at spec.nodeSets[2].podTemplate.spec.volumes[1]"
        ".ephemeral.volumeClaimTemplate.spec.storageClassName, which is not in the stack's "
        "catalog; use one of: px-prod-db-0a1b2c3d",
        'Elasticsearch "logs" sets no spec.nodeSets[2].volumeClaimTemplates entry named '
        "elasticsearch-data, so it falls to the cluster's default class; use one of: "
        "px-prod-db-0a1b2c3d",
    ]


def test_an_unknown_strimzi_storage_type_is_an_input_error():
    from policies.record import InputError

    with pytest.raises(InputError) as caught:
        messages(POLICY, [CATALOG, node_pool({"type": "persistent_claim"})])
    assert str(caught.value) == (
        'kubernetes:kafka.strimzi.io/v1:KafkaNodePool "brokers": spec.storage.type should be one '
        "of ephemeral, persistent-claim, jbod, not the string 'persistent_claim'"
    )


def test_each_kind_has_one_class_reader_so_no_module_silently_replaces_another():
    from policies import claims, eck, strimzi

    modules = (claims, strimzi, eck)
    kinds = [kind for module in modules for kind in module.CLASS_READERS]
    assert len(kinds) == len(set(kinds)) == 12


SCRATCH = "spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.options"


def spark_application(class_name: str, kind: str = "SparkApplication") -> Resource:
    """An application whose executors each get a claim Spark creates (``OnDemand``)."""
    spec = {
        "executor": {"instances": 2},
        "sparkConf": {
            f"{SCRATCH}.claimName": "OnDemand",
            f"{SCRATCH}.storageClass": class_name,
            f"{SCRATCH}.sizeLimit": "20Gi",
        },
    }
    props = {
        "kind": kind,
        "metadata": {"name": "job"},
        "spec": {"schedule": "@hourly", "template": spec} if kind.startswith("Scheduled") else spec,
    }
    return Resource(f"kubernetes:sparkoperator.k8s.io/v1beta2:{kind}", "job", props, "urn:job")


@pytest.mark.parametrize("kind", ["SparkApplication", "ScheduledSparkApplication"])
@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
def test_the_claims_spark_creates_per_executor_are_judged(run, kind):
    where = "spec.template." if kind.startswith("Scheduled") else "spec."
    assert run(POLICY, [CATALOG, spark_application("px-prod-db-0a1b2c3d", kind)]) == []
    assert run(POLICY, [CATALOG, spark_application("rogue", kind)]) == [
        f"{kind} \"job\" uses class 'rogue' at "
        f'{where}sparkConf["{SCRATCH}.storageClass"], which is not in the stack\'s catalog; '
        "use one of: px-prod-db-0a1b2c3d"
    ]


def test_a_claim_spark_is_given_by_name_is_not_one_it_creates():
    job = spark_application("rogue")
    job.props["spec"]["sparkConf"][f"{SCRATCH}.claimName"] = "existing-claim"
    assert messages(POLICY, [CATALOG, job]) == []
