"""TensorFlow workers under mocks: workload, claims, hardening, secrets by reference, flows,
disruption budget and monitoring; every object valid in Kubernetes 1.30 (strict)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pytest

from components.endpoints import ElasticsearchEndpoint, KafkaEndpoint
from components.monitoring import Monitoring
from components.namespace import PipelineNamespace, PipelineNamespaceArgs
from components.pods import Resources
from components.storage import PlacementArgs, PortworxStorage, PortworxStorageArgs, StorageClassArgs
from components.tensorflow import (
    HttpProbe,
    MetricsEndpoint,
    TensorflowSettings,
    TensorflowWorkers,
    TensorflowWorkersArgs,
)
from pipeline.offline import ProgramRun, run_program
from tests.conftest import of_kind
from tests.schemas import validate_builtin, validate_custom

NAMESPACE = "dp-clicks"
KAFKA_PODS = {"strimzi.io/cluster": "clicks", "strimzi.io/kind": "Kafka"}
ES_PODS = {"elasticsearch.k8s.elastic.co/cluster-name": "clicks"}
PROMETHEUS = {"app.kubernetes.io/name": "prometheus"}
WORKER_PODS = {
    "app.kubernetes.io/name": "tensorflow",
    "app.kubernetes.io/instance": "clicks-tensorflow",
}
SETTINGS = TensorflowSettings(
    image="registry.example.com/clicks-model:2.17.0",
    kind="StatefulSet",
    replicas=2,
    resources=Resources(
        requests={"cpu": "4", "memory": "8Gi"}, limits={"cpu": "4", "memory": "8Gi"}
    ),
    run_as_user=1000,
    model_name="clicks",
    model_size="20Gi",
    model_read_only=True,
    model_mount_path="/models",
    scratch_size="50Gi",
    scratch_mount_path="/scratch",
    readiness=HttpProbe("/v1/models/clicks", 8501),
    liveness=HttpProbe("/v1/models/clicks", 8501, 60, 20, 6),
    command=("python", "-m", "clicks.score"),
    args=("--batch", "64"),
    topics=("clicks", "sessions"),
    consumer_group="tensorflow",
    indices=("clicks-*",),
    metrics=MetricsEndpoint(8501, "/monitoring/prometheus/metrics"),
)


def _class(sharedv4: bool, repl: int) -> StorageClassArgs:
    return StorageClassArgs(
        repl=repl,
        secure=False,
        io_profile="auto",
        priority_io="high",
        fs="ext4",
        sharedv4=sharedv4,
        nodiscard=False,
        reclaim_policy="Retain",
        allow_volume_expansion=True,
        zone_spread=False,
        encryption_key=None,
    )


def run(
    settings: TensorflowSettings = SETTINGS,
    *,
    authentication: str = "tls",
    monitoring: bool = True,
    use_stork: bool = False,
    model_role: str = "shared",
    with_endpoints: bool = True,
) -> ProgramRun:
    def program() -> None:
        storage = PortworxStorage(
            "storage",
            PortworxStorageArgs(
                name_prefix="px-test",
                labels={},
                classes={"shared": _class(True, 2), "scratch": _class(False, 1)},
                placement=PlacementArgs("topology.kubernetes.io/zone", "preferred"),
            ),
        )
        namespace = PipelineNamespace(
            "clicks",
            PipelineNamespaceArgs(
                pipeline="clicks",
                namespace=NAMESPACE,
                storage_quotas=[],
                catalog_classes=[],
                labels={},
                retain_on_delete=False,
            ),
        )
        workers = TensorflowWorkers(
            "clicks",
            TensorflowWorkersArgs(
                namespace=namespace,
                model_class=storage.class_for(model_role),
                scratch_class=storage.class_for("scratch"),
                kafka=KafkaEndpoint(
                    bootstrap="clicks-kafka-bootstrap.dp-clicks.svc:9093",
                    ca_secret="clicks-cluster-ca-cert",
                    user_secret="clicks-tensorflow",
                    authentication=authentication,
                    pods=KAFKA_PODS,
                )
                if with_endpoints
                else None,
                elasticsearch=ElasticsearchEndpoint(
                    url="https://clicks-es-http.dp-clicks.svc:9200",
                    ca_secret="clicks-es-http-certs-public",
                    credentials_secret="clicks-analytics-es-user",
                    pods=ES_PODS,
                )
                if with_endpoints
                else None,
                topology_key="topology.kubernetes.io/zone",
                strict_zone_spread=True,
                use_stork=use_stork,
                monitoring=Monitoring("monitoring", PROMETHEUS, {"release": "prom"})
                if monitoring
                else None,
                settings=settings,
            ),
        )
        pulumi.export("classes", {role: c.name for role, c in storage.classes.items()})
        pulumi.export("claim", workers.model_claim)

    return run_program(program, project="p", stack="s", config={})


def manifest(result: ProgramRun, kind: str) -> dict[str, Any]:
    (resource,) = of_kind(result, kind)
    api_version = resource.type.split(":")[1].replace("core/", "")
    return {"apiVersion": api_version, "kind": kind, **resource.props}


def pod_spec(result: ProgramRun, kind: str = "StatefulSet") -> dict[str, Any]:
    return manifest(result, kind)["spec"]["template"]["spec"]


@pytest.fixture(scope="module")
def result() -> ProgramRun:
    return run()


def test_every_object_is_valid_in_kubernetes_1_30(result, crds_dir):
    kinds = {"StatefulSet", "Service", "PersistentVolumeClaim", "PodDisruptionBudget"}
    for kind in (*kinds, "NetworkPolicy"):
        resource = next(r for r in of_kind(result, kind) if r.name.startswith("clicks-tensorflow"))
        body = {
            "apiVersion": resource.type.split(":")[1].replace("core/", ""),
            "kind": kind,
            **resource.props,
        }
        assert validate_builtin(body), kind
    for kind in ("PodMonitor", "PrometheusRule"):
        validate_custom(manifest(result, kind), crds_dir)


def test_a_deployment_is_valid_too_and_has_an_ephemeral_scratch_claim(result):
    deployment = run(dataclasses.replace(SETTINGS, kind="Deployment"))
    assert of_kind(deployment, "StatefulSet") == []
    assert of_kind(deployment, "Service") == []
    body = manifest(deployment, "Deployment")
    assert validate_builtin(body)
    scratch = body["spec"]["template"]["spec"]["volumes"][-1]
    assert scratch == {
        "name": "scratch",
        "ephemeral": {
            "volumeClaimTemplate": {
                "metadata": {"labels": {"data-pipeline.io/storage-role": "scratch"}},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": deployment.outputs["classes"]["scratch"],
                    "resources": {"requests": {"storage": "50Gi"}},
                },
            }
        },
    }


def test_the_model_claim_is_read_write_many_on_the_shared_class_and_retained(result):
    (claim,) = of_kind(result, "PersistentVolumeClaim")
    assert claim.props["metadata"]["name"] == "clicks-tensorflow-model"
    assert claim.props["metadata"]["labels"]["data-pipeline.io/storage-role"] == "shared"
    assert claim.props["spec"] == {
        "accessModes": ["ReadWriteMany"],
        "storageClassName": result.outputs["classes"]["shared"],
        "resources": {"requests": {"storage": "20Gi"}},
    }
    assert claim.retain_on_delete is True
    assert claim.ignore_changes == ("spec.storageClassName",)
    volumes = pod_spec(result)["volumes"]
    assert volumes[0] == {
        "name": "model",
        "persistentVolumeClaim": {"claimName": "clicks-tensorflow-model", "readOnly": True},
    }


def test_each_worker_has_its_own_scratch_claim_on_the_scratch_class(result):
    spec = manifest(result, "StatefulSet")["spec"]
    assert spec["volumeClaimTemplates"] == [
        {
            "metadata": {"name": "scratch", "labels": {"data-pipeline.io/storage-role": "scratch"}},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "storageClassName": result.outputs["classes"]["scratch"],
                "resources": {"requests": {"storage": "50Gi"}},
            },
        }
    ]
    assert spec["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Delete",
        "whenScaled": "Delete",
    }
    assert spec["serviceName"] == "clicks-tensorflow"
    assert (spec["replicas"], spec["selector"]) == (2, {"matchLabels": WORKER_PODS})


def test_a_model_class_that_is_not_sharedv4_is_refused():
    with pytest.raises(Exception) as error:
        run(model_role="scratch")
    assert (
        "the model's class (role scratch) must be sharedv4: a ReadWriteMany claim on any other "
        "class provisions nothing"
    ) in str(error.value)


def test_pods_are_restricted_with_a_numeric_uid_and_no_token(result):
    spec = pod_spec(result)
    assert spec["securityContext"] == {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
        "fsGroup": 1000,
        "runAsUser": 1000,
        "runAsGroup": 1000,
    }
    (container,) = spec["containers"]
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
        "runAsUser": 1000,
    }
    assert spec["automountServiceAccountToken"] is False
    assert "schedulerName" not in spec
    assert (container["command"], container["args"]) == (
        ["python", "-m", "clicks.score"],
        ["--batch", "64"],
    )


def test_pods_carry_the_stage_label_and_spread_over_zones(result):
    template = manifest(result, "StatefulSet")["spec"]["template"]
    assert template["metadata"]["labels"]["data-pipeline.io/stage"] == "analytics"
    (spread,) = template["spec"]["topologySpreadConstraints"]
    assert spread["topologyKey"] == "topology.kubernetes.io/zone"
    assert spread["whenUnsatisfiable"] == "DoNotSchedule"


def test_the_stork_scheduler_when_asked():
    assert pod_spec(run(use_stork=True))["schedulerName"] == "stork"


def test_requests_equal_limits_and_gpus_go_in_both():
    (container,) = pod_spec(run(dataclasses.replace(SETTINGS, gpus=2)))["containers"]
    amounts = {"cpu": "4", "memory": "8Gi", "nvidia.com/gpu": "2"}
    assert container["resources"] == {"requests": amounts, "limits": amounts}


def test_without_gpus_no_gpu_is_asked_for(result):
    (container,) = pod_spec(result)["containers"]
    amounts = {"cpu": "4", "memory": "8Gi"}
    assert container["resources"] == {"requests": amounts, "limits": amounts}


def test_settings_refuse_requests_below_limits_and_an_unknown_kind():
    with pytest.raises(ValueError) as error:
        dataclasses.replace(
            SETTINGS, resources=Resources(requests={"cpu": "1"}, limits={"cpu": "2"})
        )
    assert str(error.value) == "resources: requests must equal limits (TF Serving's guidance)"
    with pytest.raises(ValueError) as error:
        dataclasses.replace(SETTINGS, kind="Job")
    assert str(error.value) == "kind must be one of StatefulSet, Deployment, got 'Job'"


def test_readiness_and_liveness_probe_the_model_status(result):
    (container,) = pod_spec(result)["containers"]
    assert container["readinessProbe"] == {
        "httpGet": {"path": "/v1/models/clicks", "port": 8501},
        "initialDelaySeconds": 0,
        "periodSeconds": 10,
        "failureThreshold": 3,
    }
    assert container["livenessProbe"] == {
        "httpGet": {"path": "/v1/models/clicks", "port": 8501},
        "initialDelaySeconds": 60,
        "periodSeconds": 20,
        "failureThreshold": 6,
    }
    assert container["ports"] == [{"name": "http", "containerPort": 8501, "protocol": "TCP"}]


def test_one_worker_at_a_time_may_be_disrupted(result):
    (budget,) = of_kind(result, "PodDisruptionBudget")
    assert budget.props["spec"] == {"maxUnavailable": 1, "selector": {"matchLabels": WORKER_PODS}}


def test_tls_credentials_are_mounted_files_and_es_passwords_secret_references(result):
    (container,) = pod_spec(result)["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert {name: e.get("value") for name, e in env.items() if "value" in e} == {
        "MODEL_NAME": "clicks",
        "MODEL_BASE_PATH": "/models",
        "TMPDIR": "/scratch",
        "KAFKA_BOOTSTRAP_SERVERS": "clicks-kafka-bootstrap.dp-clicks.svc:9093",
        "KAFKA_TOPICS": "clicks,sessions",
        "KAFKA_GROUP_ID": "tensorflow",
        "KAFKA_SSL_CA_LOCATION": "/etc/kafka/ca/ca.crt",
        "KAFKA_SECURITY_PROTOCOL": "SSL",
        "KAFKA_SSL_CERTIFICATE_LOCATION": "/etc/kafka/user/user.crt",
        "KAFKA_SSL_KEY_LOCATION": "/etc/kafka/user/user.key",
        "ELASTICSEARCH_URL": "https://clicks-es-http.dp-clicks.svc:9200",
        "ELASTICSEARCH_INDICES": "clicks-*",
        "ELASTICSEARCH_CA_CERTS": "/etc/elasticsearch/ca/ca.crt",
    }
    assert env["ELASTICSEARCH_PASSWORD"]["valueFrom"] == {
        "secretKeyRef": {"name": "clicks-analytics-es-user", "key": "password"}
    }
    assert env["ELASTICSEARCH_USERNAME"]["valueFrom"] == {
        "secretKeyRef": {"name": "clicks-analytics-es-user", "key": "username"}
    }
    secrets = {v["name"]: v["secret"] for v in pod_spec(result)["volumes"] if "secret" in v}
    assert secrets == {
        "kafka-ca": {
            "secretName": "clicks-cluster-ca-cert",
            "items": [{"key": "ca.crt", "path": "ca.crt"}],
            "defaultMode": 0o440,
        },
        "kafka-user": {
            "secretName": "clicks-tensorflow",
            "items": [
                {"key": "user.crt", "path": "user.crt"},
                {"key": "user.key", "path": "user.key"},
            ],
            "defaultMode": 0o440,
        },
        "elasticsearch-ca": {
            "secretName": "clicks-es-http-certs-public",
            "items": [{"key": "ca.crt", "path": "ca.crt"}],
            "defaultMode": 0o440,
        },
    }
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert all(mounts[name]["readOnly"] is True for name in (*secrets, "model"))


def test_scram_passwords_are_secret_references_and_no_user_files_are_mounted():
    result = run(authentication="scram-sha-512")
    (container,) = pod_spec(result)["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL"
    assert env["KAFKA_SASL_MECHANISM"]["value"] == "SCRAM-SHA-512"
    assert env["KAFKA_SASL_USERNAME"]["value"] == "clicks-tensorflow"
    assert env["KAFKA_SASL_PASSWORD"]["valueFrom"] == {
        "secretKeyRef": {"name": "clicks-tensorflow", "key": "password"}
    }
    volumes = {v["name"] for v in pod_spec(result)["volumes"]}
    assert volumes == {"model", "kafka-ca", "elasticsearch-ca"}


def test_no_password_is_given_as_a_value():
    for authentication in ("tls", "scram-sha-512"):
        (container,) = pod_spec(run(authentication=authentication))["containers"]
        secret_names = [e["name"] for e in container["env"] if "valueFrom" in e]
        assert all("value" not in e for e in container["env"] if "PASSWORD" in e["name"])
        assert [n for n in secret_names if "PASSWORD" in n] == (
            ["ELASTICSEARCH_PASSWORD"]
            if authentication == "tls"
            else ["KAFKA_SASL_PASSWORD", "ELASTICSEARCH_PASSWORD"]
        )


def test_flows_reach_kafka_and_elasticsearch_and_admit_only_prometheus(result):
    (policy,) = (r for r in of_kind(result, "NetworkPolicy") if r.name == "clicks-tensorflow-flows")
    assert policy.props["metadata"]["name"] == "allow-clicks-tensorflow"
    assert policy.props["spec"] == {
        "podSelector": {"matchLabels": WORKER_PODS},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [
                    {
                        "podSelector": {"matchLabels": PROMETHEUS},
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "monitoring"}
                        },
                    }
                ],
                "ports": [{"protocol": "TCP", "port": 8501}],
            }
        ],
        "egress": [
            {
                "to": [{"podSelector": {"matchLabels": KAFKA_PODS}}],
                "ports": [{"protocol": "TCP", "port": 9093}],
            },
            {
                "to": [{"podSelector": {"matchLabels": ES_PODS}}],
                "ports": [{"protocol": "TCP", "port": 9200}],
            },
        ],
    }


def test_workers_reading_only_kafka_open_only_kafka():
    result = run(dataclasses.replace(SETTINGS, indices=(), metrics=None))
    (policy,) = (r for r in of_kind(result, "NetworkPolicy") if r.name == "clicks-tensorflow-flows")
    assert policy.props["spec"]["policyTypes"] == ["Egress"]
    assert [rule["ports"] for rule in policy.props["spec"]["egress"]] == [
        [{"protocol": "TCP", "port": 9093}]
    ]
    (container,) = pod_spec(result)["containers"]
    assert not any(e["name"].startswith("ELASTICSEARCH") for e in container["env"])


def test_workers_that_read_nothing_and_expose_no_metrics_add_no_policy_nor_credentials():
    settings = dataclasses.replace(SETTINGS, topics=(), indices=(), metrics=None)
    result = run(settings, with_endpoints=False)
    assert [r.name for r in of_kind(result, "NetworkPolicy") if "tensorflow" in r.name] == []
    (container,) = pod_spec(result)["containers"]
    assert [e["name"] for e in container["env"]] == ["MODEL_NAME", "MODEL_BASE_PATH", "TMPDIR"]


def test_reading_topics_without_a_kafka_endpoint_is_refused():
    with pytest.raises(Exception) as error:
        run(dataclasses.replace(SETTINGS, indices=()), with_endpoints=False)
    assert "the workers read Kafka topics but no Kafka endpoint is given" in str(error.value)


def test_a_pod_monitor_scrapes_the_metrics_port_and_rules_watch_the_statefulset(result):
    monitor = manifest(result, "PodMonitor")
    assert monitor["metadata"]["labels"]["release"] == "prom"
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/monitoring/prometheus/metrics")
    rules = manifest(result, "PrometheusRule")["spec"]["groups"]
    assert rules[0]["name"] == "tensorflow-dp-clicks-clicks-tensorflow"
    assert rules[0]["rules"][0]["labels"]["statefulset"] == "clicks-tensorflow"


def test_without_metrics_no_pod_monitor_but_the_readiness_alerts_remain():
    result = run(dataclasses.replace(SETTINGS, metrics=None, kind="Deployment"))
    assert of_kind(result, "PodMonitor") == []
    (rule,) = of_kind(result, "PrometheusRule")
    alerts = [r["alert"] for r in rule.props["spec"]["groups"][0]["rules"]]
    assert alerts == [
        "TensorflowWorkersNotReady",
        "TensorflowWorkersDown",
        "TensorflowWorkerRestarting",
    ]
    (policy,) = (r for r in of_kind(result, "NetworkPolicy") if r.name == "clicks-tensorflow-flows")
    assert policy.props["spec"]["policyTypes"] == ["Egress"]


def test_a_separate_metrics_port_is_named_and_opened_for_prometheus_only():
    result = run(dataclasses.replace(SETTINGS, metrics=MetricsEndpoint(9090, "/metrics")))
    (container,) = pod_spec(result)["containers"]
    assert container["ports"] == [
        {"name": "http", "containerPort": 8501, "protocol": "TCP"},
        {"name": "metrics", "containerPort": 9090, "protocol": "TCP"},
    ]
    (endpoint,) = manifest(result, "PodMonitor")["spec"]["podMetricsEndpoints"]
    assert endpoint["port"] == "metrics"
    (policy,) = (r for r in of_kind(result, "NetworkPolicy") if r.name == "clicks-tensorflow-flows")
    assert policy.props["spec"]["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 9090}]


def test_without_monitoring_no_monitor_nor_rule():
    result = run(monitoring=False)
    assert of_kind(result, "PodMonitor") == [] and of_kind(result, "PrometheusRule") == []
