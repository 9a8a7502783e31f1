"""SparkJobs under mocks: identity, checkpoint claim, applications waiting for the operator,
flows, monitoring, and every object valid against Kubernetes' schema or its CRD.

``SparkJobs`` is not yet composed into the program, so a small program builds it beside a
pipeline namespace and a storage catalog, as compose will.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from components.analytics import SparkJobs, SparkJobsArgs
from components.endpoints import ElasticsearchEndpoint, KafkaEndpoint
from components.monitoring import Monitoring
from components.namespace import PipelineNamespace, PipelineNamespaceArgs
from components.network import kubernetes_api_flow
from components.operators import Operator, OperatorArgs
from components.spark import PodSize, Restart, SparkJob
from components.storage import (
    PlacementArgs,
    PortworxStorage,
    PortworxStorageArgs,
    StorageClassArgs,
)
from pipeline.offline import ProgramRun, run_program
from tests.schemas import validate_builtin, validate_custom

NAMESPACE = "data-pipeline-clicks"
ES_PODS = {"elasticsearch.k8s.elastic.co/cluster-name": "clicks"}


def _class(sharedv4: bool, repl: int) -> StorageClassArgs:
    return StorageClassArgs(
        repl=repl,
        secure=False,
        io_profile="auto",
        priority_io="high",
        fs="ext4",
        sharedv4=sharedv4,
        nodiscard=False,
        reclaim_policy="Delete",
        allow_volume_expansion=True,
        zone_spread=False,
        encryption_key=None,
    )


def _job(name: str, **changes) -> SparkJob:
    fields = {
        "name": name,
        "main_application_file": f"local:///opt/spark/work-dir/{name}.py",
        "spark_version": "4.0.4",
        "kafka_package": "org.apache.spark:spark-sql-kafka-0-10_2.13:4.0.4",
        "image": "apache/spark:4.0.4",
        "driver": PodSize(1, "2g"),
        "executor": PodSize(2, "4g"),
        "executor_instances": 2,
        "restart": Restart("Always"),
        "topics": ("clicks",),
        **changes,
    }
    return SparkJob(**fields)


JOBS = {
    "events": _job("events", trigger_interval=30),
    "report": _job(
        "report", schedule="@hourly", topics=(), indices=("clicks",), restart=Restart("OnFailure")
    ),
}


def run_spark_jobs(checkpoint_role: str = "shared", monitoring: bool = True) -> ProgramRun:
    def program() -> None:
        labels = {"app.kubernetes.io/part-of": "data-pipeline"}
        storage = PortworxStorage(
            "storage",
            PortworxStorageArgs(
                name_prefix="px-test",
                labels=labels,
                classes={"shared": _class(True, 2), "scratch": _class(False, 1)},
                placement=PlacementArgs("topology.kubernetes.io/zone", "required"),
            ),
        )
        namespace = PipelineNamespace(
            "clicks",
            PipelineNamespaceArgs(
                pipeline="clicks",
                namespace=NAMESPACE,
                storage_quotas=[],
                catalog_classes=[],
                labels=labels,
                retain_on_delete=False,
            ),
        )
        operator = Operator(
            "spark-operator",
            OperatorArgs(
                namespace="spark-operator",
                crd="sparkapplications.sparkoperator.k8s.io",
                labels=labels,
                rendering=True,
            ),
        )
        watcher = (
            Monitoring("monitoring", {"app.kubernetes.io/name": "prometheus"}, {"release": "p"})
            if monitoring
            else None
        )
        SparkJobs(
            "clicks",
            SparkJobsArgs(
                namespace=namespace,
                operator=operator,
                kafka=KafkaEndpoint(
                    bootstrap=f"clicks-kafka-bootstrap.{NAMESPACE}.svc:9093",
                    ca_secret="clicks-cluster-ca-cert",
                    user_secret="clicks-analytics",
                    authentication="tls",
                    pods={"strimzi.io/cluster": "clicks"},
                ),
                elasticsearch=ElasticsearchEndpoint(
                    url=f"https://clicks-es-http.{NAMESPACE}.svc:9200",
                    ca_secret="clicks-es-http-certs-public",
                    credentials_secret="clicks-analytics-es",
                    pods=ES_PODS,
                ),
                checkpoint_class=storage.class_for(checkpoint_role),
                checkpoint_size="10Gi",
                scratch_class=storage.class_for("scratch"),
                scratch_size="20Gi",
                jobs=JOBS,
                kubernetes_api=kubernetes_api_flow(("10.0.0.1/32",), (443,)),
                use_stork=True,
                monitoring=watcher,
            ),
        )

    return run_program(
        program, project="data-pipeline", stack="test", config={}, reveal_secrets=False
    )


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return run_spark_jobs()


def of_kind(run: ProgramRun, kind: str) -> dict[str, dict]:
    return {
        r.props["metadata"]["name"]: r.props
        for r in run.resources
        if r.type.rsplit(":", 1)[-1] == kind
    }


def _spark_objects(run: ProgramRun) -> list:
    """The objects SparkJobs registers (its URN type is part of theirs)."""
    return [
        r for r in run.resources if r.custom and "::data-pipeline:analytics:SparkJobs$" in r.urn
    ]


def test_the_driver_identity_is_a_namespaced_role_and_nothing_cluster_wide(run):
    assert set(of_kind(run, "ServiceAccount")) == {"clicks-spark"}
    assert of_kind(run, "Role")["clicks-spark"]["rules"] == [
        {
            "apiGroups": [""],
            "resources": ["configmaps", "persistentvolumeclaims", "pods", "services"],
            "verbs": ["create", "delete", "deletecollection", "get", "list", "watch"],
        }
    ]
    binding = of_kind(run, "RoleBinding")["clicks-spark"]
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": "clicks-spark",
    }
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "clicks-spark", "namespace": NAMESPACE}
    ]
    assert not of_kind(run, "ClusterRole") and not of_kind(run, "ClusterRoleBinding")


def test_the_checkpoint_claim_is_rwx_on_the_shared_class_and_retained(run):
    claim = of_kind(run, "PersistentVolumeClaim")["clicks-spark-checkpoints"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["storageClassName"].startswith("px-test-shared-")
    assert claim["spec"]["resources"] == {"requests": {"storage": "10Gi"}}
    assert claim["metadata"]["labels"]["data-pipeline.io/storage-role"] == "shared"
    (record,) = [r for r in run.resources if r.name == "clicks-spark-checkpoints"]
    assert record.retain_on_delete is True
    assert record.ignore_changes == ("spec.storageClassName",)


def test_applications_wait_for_their_state_and_depend_on_identity_and_claim(run):
    streaming = of_kind(run, "SparkApplication")["spark-events"]
    scheduled = of_kind(run, "ScheduledSparkApplication")["spark-report"]
    assert streaming["metadata"]["annotations"] == {
        "pulumi.com/waitFor": "jsonpath={.status.applicationState.state}=RUNNING"
    }
    assert scheduled["metadata"]["annotations"] == {
        "pulumi.com/waitFor": "jsonpath={.status.scheduleState}=Scheduled"
    }
    assert streaming["spec"]["sparkConf"][
        "spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1.options."
        "storageClass"
    ].startswith("px-test-scratch-")
    (record,) = [r for r in run.resources if r.name == "clicks-spark-events"]
    depended = {urn.rsplit("::", 1)[-1] for urn in record.dependencies}
    # The namespace and the scratch class come in through their outputs.
    assert depended == {
        "clicks",
        "storage-scratch",
        "clicks-spark",
        "clicks-spark-role",
        "clicks-spark-binding",
        "clicks-spark-checkpoints",
    }


def _rules(policy: dict, direction: str) -> list[tuple[list, list]]:
    key = "from" if direction == "ingress" else "to"
    return [
        (rule[key], [port["port"] for port in rule.get("ports", [])])
        for rule in policy["spec"].get(direction, [])
    ]


def _pods(**labels: str) -> dict:
    return {"podSelector": {"matchLabels": labels}}


DRIVERS = {"data-pipeline.io/stage": "analytics", "spark-role": "driver"}
EXECUTORS = {"data-pipeline.io/stage": "analytics", "spark-role": "executor"}
KAFKA = ([_pods(**{"strimzi.io/cluster": "clicks"})], [9093])
ES = ([_pods(**ES_PODS)], [9200])


def test_drivers_reach_kafka_es_the_api_and_executors_and_admit_executors_and_prometheus(run):
    policy = of_kind(run, "NetworkPolicy")["allow-spark-drivers-clicks"]
    assert policy["spec"]["podSelector"] == {"matchLabels": DRIVERS}
    assert _rules(policy, "ingress") == [
        ([_pods(**EXECUTORS)], [7078, 7079]),
        (
            [
                {
                    "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
                    "namespaceSelector": {
                        "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                    },
                }
            ],
            [4040],
        ),
    ]
    assert _rules(policy, "egress") == [
        KAFKA,
        ES,
        ([{"ipBlock": {"cidr": "10.0.0.1/32"}}], [443]),
        ([_pods(**EXECUTORS)], [7079]),
    ]


def test_executors_reach_kafka_es_the_driver_and_each_other_only(run):
    policy = of_kind(run, "NetworkPolicy")["allow-spark-executors-clicks"]
    assert policy["spec"]["podSelector"] == {"matchLabels": EXECUTORS}
    assert _rules(policy, "ingress") == [([_pods(**DRIVERS), _pods(**EXECUTORS)], [7079])]
    assert _rules(policy, "egress") == [
        KAFKA,
        ES,
        ([_pods(**DRIVERS)], [7078, 7079]),
        ([_pods(**EXECUTORS)], [7079]),
    ]


def test_monitoring_adds_a_pod_monitor_and_rules_with_the_prometheus_labels(run):
    monitor = of_kind(run, "PodMonitor")["clicks-spark"]
    assert monitor["metadata"]["labels"]["release"] == "p"
    rules = of_kind(run, "PrometheusRule")["clicks-spark"]
    alerts = {rule["alert"] for group in rules["spec"]["groups"] for rule in group["rules"]}
    assert alerts == {
        "SparkStreamingJobNotRunning",
        "SparkStreamingFallingBehind",
        "SparkExecutorsLost",
        "SparkConsumerLagHigh",
    }


def test_without_monitoring_the_driver_admits_no_scrape():
    run = run_spark_jobs(monitoring=False)
    assert not of_kind(run, "PodMonitor") and not of_kind(run, "PrometheusRule")
    policy = of_kind(run, "NetworkPolicy")["allow-spark-drivers-clicks"]
    assert _rules(policy, "ingress") == [([_pods(**EXECUTORS)], [7078, 7079])]


def test_a_checkpoint_class_that_cannot_serve_rwx_is_refused():
    with pytest.raises(ValueError) as error:
        run_spark_jobs(checkpoint_role="scratch")
    assert str(error.value) == (
        "Spark checkpoints need a ReadWriteMany (sharedv4) class; role scratch is ReadWriteOnce"
    )


def test_every_object_validates_against_kubernetes_or_its_crd(run, crds_dir: Path):
    kinds = set()
    for resource in _spark_objects(run):
        manifest = dict(resource.props)
        kinds.add(manifest["kind"])
        if not validate_builtin(manifest):
            validate_custom(manifest, crds_dir)
    assert kinds >= {
        "ServiceAccount",
        "Role",
        "RoleBinding",
        "PersistentVolumeClaim",
        "SparkApplication",
        "ScheduledSparkApplication",
        "NetworkPolicy",
        "PodMonitor",
        "PrometheusRule",
    }


def test_the_program_registers_no_resource_outside_the_pipelines_namespace(run):
    spark = _spark_objects(run)
    namespaces = {r.props["metadata"].get("namespace") for r in spark if "metadata" in r.props}
    assert namespaces == {NAMESPACE}
