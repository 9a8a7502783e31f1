"""spark-operator bodies: valid against the CRDs, restricted pods, TLS to Kafka, no secret."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from components.spark import (
    ElasticsearchAccess,
    KafkaAccess,
    PodSize,
    Restart,
    SparkEnvironment,
    SparkJob,
    driver_role_rules,
    spark_application_body,
)
from tests.schemas import validate_custom

JOB = SparkJob(
    name="events",
    main_application_file="local:///opt/spark/work-dir/events.py",
    spark_version="4.0.4",
    kafka_package="org.apache.spark:spark-sql-kafka-0-10_2.13:4.0.4",
    image="apache/spark:4.0.4",
    driver=PodSize(1, "2g"),
    executor=PodSize(2, "4g", "1g"),
    executor_instances=3,
    restart=Restart("Always"),
    topics=("clicks", "sessions"),
    indices=("clicks",),
    trigger_interval=30,
)
ENV = SparkEnvironment(
    namespace="data-pipeline-clicks",
    service_account="clicks-spark",
    checkpoint_claim="clicks-spark-checkpoints",
    scratch_class="px-dev-scratch-1234abcd",
    scratch_size="20Gi",
    kafka=KafkaAccess(
        "clicks-kafka-bootstrap.data-pipeline-clicks.svc:9093",
        "clicks-cluster-ca-cert",
        "clicks-analytics",
        "tls",
    ),
    elasticsearch=ElasticsearchAccess(
        "https://clicks-es-http.data-pipeline-clicks.svc:9200",
        "clicks-es-http-certs-public",
        "clicks-analytics-es",
    ),
    use_stork=True,
    labels={"data-pipeline.io/pipeline": "clicks"},
)
PREFIX = "spark.datapipeline.kafkaSource."


def test_a_streaming_job_is_a_valid_spark_application(crds_dir: Path):
    body = spark_application_body(JOB, ENV)
    assert (body["kind"], body["metadata"]["name"]) == ("SparkApplication", "spark-events")
    validate_custom(body, crds_dir)
    spec = body["spec"]
    assert (spec["type"], spec["mode"], spec["sparkVersion"]) == ("Python", "cluster", "4.0.4")
    assert spec["deps"] == {"packages": ["org.apache.spark:spark-sql-kafka-0-10_2.13:4.0.4"]}
    assert spec["restartPolicy"] == {
        "type": "Always",
        "onFailureRetryInterval": 30,
        "onSubmissionFailureRetryInterval": 60,
    }
    assert spec["driver"]["serviceAccount"] == "clicks-spark"
    assert (spec["executor"]["instances"], spec["executor"]["memoryOverhead"]) == (3, "1g")
    assert "template" not in spec["driver"] and "template" not in spec["executor"]


def test_a_scheduled_jar_job_is_a_valid_scheduled_spark_application(crds_dir: Path):
    job = replace(
        JOB,
        schedule="@hourly",
        main_application_file="local:///opt/jobs/report.jar",
        main_class="com.example.Report",
        topics=(),
        restart=Restart("OnFailure", retries=2),
        dynamic_allocation=(1, 6),
    )
    body = spark_application_body(job, ENV)
    validate_custom(body, crds_dir)
    spec = body["spec"]
    assert (spec["schedule"], spec["concurrencyPolicy"]) == ("@hourly", "Forbid")
    template = spec["template"]
    assert (template["type"], template["mainClass"]) == ("Scala", "com.example.Report")
    assert "deps" not in template
    assert not [key for key in template["sparkConf"] if key.startswith(PREFIX)]
    assert template["restartPolicy"] == {
        "type": "OnFailure",
        "onFailureRetryInterval": 30,
        "onSubmissionFailureRetryInterval": 60,
        "onFailureRetries": 2,
        "onSubmissionFailureRetries": 5,
    }
    assert template["dynamicAllocation"] == {
        "enabled": True,
        "initialExecutors": 3,
        "minExecutors": 1,
        "maxExecutors": 6,
        "shuffleTrackingEnabled": True,
    }


@pytest.mark.parametrize("role", ["driver", "executor"])
def test_pods_are_restricted_as_uid_185_labelled_and_limited(role):
    pod = spark_application_body(JOB, ENV)["spec"][role]
    assert pod["podSecurityContext"] == {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
        "fsGroup": 185,
        "runAsUser": 185,
        "runAsGroup": 185,
    }
    assert pod["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
        "runAsUser": 185,
        "runAsGroup": 185,
    }
    assert pod["labels"] == {
        "data-pipeline.io/pipeline": "clicks",
        "data-pipeline.io/stage": "analytics",
    }
    assert pod["schedulerName"] == "stork"
    assert pod["coreLimit"] == str(pod["cores"])
    assert pod["volumeMounts"] == [{"name": "checkpoints", "mountPath": "/mnt/checkpoints"}]
    assert pod["secrets"] == [
        {"name": "clicks-cluster-ca-cert", "path": "/mnt/kafka-ca", "secretType": "Generic"},
        {"name": "clicks-analytics", "path": "/mnt/kafka-user", "secretType": "Generic"},
        {
            "name": "clicks-es-http-certs-public",
            "path": "/mnt/elasticsearch-ca",
            "secretType": "Generic",
        },
    ]
    assert pod["env"] == [
        {"name": "ES_URL", "value": "https://clicks-es-http.data-pipeline-clicks.svc:9200"},
        {"name": "ES_CA_CERT", "value": "/mnt/elasticsearch-ca/ca.crt"},
        {"name": "ES_INDICES", "value": "clicks"},
        {
            "name": "ES_USERNAME",
            "valueFrom": {"secretKeyRef": {"name": "clicks-analytics-es", "key": "username"}},
        },
        {
            "name": "ES_PASSWORD",
            "valueFrom": {"secretKeyRef": {"name": "clicks-analytics-es", "key": "password"}},
        },
    ]


def test_the_kafka_source_reads_over_tls_with_the_users_keystore_and_no_clear_password():
    conf = spark_application_body(JOB, ENV)["spec"]["sparkConf"]
    source = {key.removeprefix(PREFIX): value for key, value in conf.items() if PREFIX in key}
    assert source == {
        "subscribe": "clicks,sessions",
        "groupIdPrefix": "spark-kafka-source-events-",
        "kafka.bootstrap.servers": "clicks-kafka-bootstrap.data-pipeline-clicks.svc:9093",
        "kafka.config.providers": "directory",
        "kafka.config.providers.directory.class": (
            "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
        ),
        "kafka.config.providers.directory.param.allowed.paths": "/mnt/kafka-ca,/mnt/kafka-user",
        "kafka.ssl.truststore.type": "PEM",
        "kafka.ssl.truststore.location": "/mnt/kafka-ca/ca.crt",
        "kafka.security.protocol": "SSL",
        "kafka.ssl.keystore.type": "PKCS12",
        "kafka.ssl.keystore.location": "/mnt/kafka-user/user.p12",
        "kafka.ssl.keystore.password": "${directory:/mnt/kafka-user:user.password}",
    }


def test_scram_users_authenticate_with_the_jaas_config_file():
    env = replace(ENV, kafka=replace(ENV.kafka, authentication="scram-sha-512"))
    conf = spark_application_body(JOB, env)["spec"]["sparkConf"]
    assert {
        key: conf[f"{PREFIX}kafka.{key}"] for key in ("security.protocol", "sasl.mechanism")
    } == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
    }
    assert conf[f"{PREFIX}kafka.sasl.jaas.config"] == (
        "${directory:/mnt/kafka-user:sasl.jaas.config}"
    )
    assert f"{PREFIX}kafka.ssl.keystore.location" not in conf


def test_no_spark_conf_value_holds_a_password():
    """Every value of a password-like key is a reference to a mounted file, never a value."""
    conf = spark_application_body(JOB, ENV)["spec"]["sparkConf"]
    secretish = {k: v for k, v in conf.items() if re.search("password|jaas|secret", k)}
    assert secretish == {
        f"{PREFIX}kafka.ssl.keystore.password": "${directory:/mnt/kafka-user:user.password}"
    }


def test_spark_conf_sets_ports_metrics_scratch_and_checkpoints():
    conf = spark_application_body(JOB, ENV)["spec"]["sparkConf"]
    scratch = "spark.kubernetes.executor.volumes.persistentVolumeClaim.spark-local-dir-1"
    own = {key: value for key, value in conf.items() if not key.startswith(PREFIX)}
    assert own == {
        "spark.jars.ivy": "/tmp/.ivy2",
        "spark.driver.port": "7078",
        "spark.driver.blockManager.port": "7079",
        "spark.blockManager.port": "7079",
        "spark.ui.port": "4040",
        "spark.ui.prometheus.enabled": "true",
        "spark.metrics.namespace": "analytics",
        "spark.metrics.conf.*.sink.prometheusServlet.class": (
            "org.apache.spark.metrics.sink.PrometheusServlet"
        ),
        "spark.metrics.conf.*.sink.prometheusServlet.path": "/metrics/prometheus",
        "spark.sql.streaming.metricsEnabled": "true",
        "spark.sql.streaming.checkpointLocation": "/mnt/checkpoints/events",
        "spark.datapipeline.triggerInterval": "30 seconds",
        f"{scratch}.options.claimName": "OnDemand",
        f"{scratch}.options.storageClass": "px-dev-scratch-1234abcd",
        f"{scratch}.options.sizeLimit": "20Gi",
        f"{scratch}.mount.path": "/var/spark/scratch",
        f"{scratch}.mount.readOnly": "false",
        "spark.kubernetes.driver.ownPersistentVolumeClaim": "true",
        "spark.kubernetes.driver.reusePersistentVolumeClaim": "true",
        "spark.executor.memoryOverhead": "1g",
        "spark.kubernetes.scheduler.name": "stork",
    }


def test_without_stork_no_scheduler_is_named():
    spec = spark_application_body(JOB, replace(ENV, use_stork=False))["spec"]
    assert "schedulerName" not in spec["driver"] and "schedulerName" not in spec["executor"]
    assert "spark.kubernetes.scheduler.name" not in spec["sparkConf"]


def test_a_kafka_package_of_another_version_is_refused():
    with pytest.raises(ValueError) as error:
        replace(JOB, spark_version="4.1.2")
    assert str(error.value) == (
        "Spark job events: the Kafka package org.apache.spark:spark-sql-kafka-0-10_2.13:4.0.4 "
        "does not match Spark 4.1.2"
    )


def test_the_driver_role_is_exactly_what_spark_needs_in_its_namespace():
    assert driver_role_rules() == [
        {
            "apiGroups": [""],
            "resources": ["configmaps", "persistentvolumeclaims", "pods", "services"],
            "verbs": ["create", "delete", "deletecollection", "get", "list", "watch"],
        }
    ]
