"""The analytics section's Spark part: defaults and the exact message per bad value.

The model is validated on its own: paths start at the section (``data-pipeline:spark.jobs...``);
its rules across sections are in ``test_config_analytics.py``.
"""

from __future__ import annotations

import pytest

from pipeline.config import ConfigError
from pipeline.config.analytics import AnalyticsConfig
from pipeline.config.base import validate


def streaming(**changes) -> dict:
    return {
        "type": "streaming",
        "mainApplicationFile": "local:///opt/spark/work-dir/events.py",
        "reads": {"topics": ["clicks"]},
        **changes,
    }


def analytics(**job_changes) -> dict:
    return {"spark": {"jobs": {"events": streaming(**job_changes)}}}


def error_of(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate(AnalyticsConfig, raw)
    return str(caught.value).splitlines()


def test_defaults():
    spark = validate(AnalyticsConfig, analytics()).spark
    job = spark.jobs["events"]
    assert (job.image, job.spark_version, job.kafka_package) == (
        "apache/spark:4.0.4",
        "4.0.4",
        "org.apache.spark:spark-sql-kafka-0-10_2.13:4.0.4",
    )
    assert (job.driver.cores, job.driver.memory, job.driver.memory_overhead) == (1, "2g", None)
    assert (job.executor.instances, job.executor.cores, job.executor.memory) == (2, 2, "4g")
    assert job.dynamic_allocation.enabled is False
    assert job.trigger_interval == 60
    assert job.restart_policy == "Always"
    assert (spark.checkpoint.role, spark.checkpoint.size) == ("shared", "10Gi")
    assert (spark.scratch.role, spark.scratch.size) == ("scratch", "20Gi")
    assert (spark.max_consumer_lag, spark.max_executor_losses) == (100000, 3)


def test_a_scheduled_job_restarts_on_failure_by_default():
    raw = analytics(type="scheduled", schedule="@hourly", reads={"indices": ["clicks"]})
    job = validate(AnalyticsConfig, raw).spark.jobs["events"]
    assert (job.schedule, job.restart_policy) == ("@hourly", "OnFailure")


def test_a_newer_spark_with_its_own_kafka_package_is_accepted():
    raw = analytics(
        image="apache/spark:4.1.2",
        sparkVersion="4.1.2",
        kafkaPackage="org.apache.spark:spark-sql-kafka-0-10_2.13:4.1.2",
    )
    assert validate(AnalyticsConfig, raw).spark.jobs["events"].spark_version == "4.1.2"


JOB = "data-pipeline:spark.jobs.events"


@pytest.mark.parametrize(
    ("raw", "lines"),
    [
        (
            analytics(sparkVersion="4.1.2"),
            [
                f'{JOB}.kafkaPackage: "org.apache.spark:spark-sql-kafka-0-10_2.13:4.0.4" is not '
                "allowed (org.apache.spark:spark-sql-kafka-0-10_2.13:4.1.2: the Kafka source "
                "must match sparkVersion 4.1.2 exactly)"
            ],
        ),
        (
            analytics(kafkaPackage="org.apache.spark:spark-sql-kafka-0-10_2.12:4.0.4"),
            [
                f'{JOB}.kafkaPackage: "org.apache.spark:spark-sql-kafka-0-10_2.12:4.0.4" is not '
                "allowed (org.apache.spark:spark-sql-kafka-0-10_2.13:4.0.4: the Kafka source "
                "must match sparkVersion 4.0.4 exactly)"
            ],
        ),
        (
            analytics(image="apache/spark"),
            [
                f'{JOB}.image: "apache/spark" is not allowed (an image reference pinned by a tag '
                "other than latest or by a digest, such as "
                "registry.example.com/kafka-connect-elasticsearch:16.0.1)"
            ],
        ),
        (
            analytics(type="scheduled"),
            [f"{JOB}.schedule: required for a scheduled job"],
        ),
        (
            analytics(schedule="@daily"),
            [f"{JOB}.schedule: only used by scheduled jobs"],
        ),
        (
            analytics(reads={"indices": ["clicks"]}),
            [f"{JOB}.reads.topics: a streaming job reads at least one topic"],
        ),
        (
            analytics(reads={"topics": ["clicks", "clicks"], "indices": ["a", "b", "a"]}),
            [
                f"{JOB}.reads.topics: lists clicks 2 times",
                f"{JOB}.reads.indices: lists a 2 times",
            ],
        ),
        (
            analytics(type="scheduled", schedule="@daily", reads={}),
            [f"{JOB}.reads: name the topics and/or indices the job reads"],
        ),
        (
            analytics(mainApplicationFile="local:///opt/jobs/events.jar"),
            [f"{JOB}.mainClass: required for a .jar main application file"],
        ),
        (
            analytics(dynamicAllocation={"enabled": True, "min": 5, "max": 2}),
            [f"{JOB}.dynamicAllocation: min 5 is above max 2"],
        ),
        (
            analytics(driver={"memory": "2Gi"}),
            [f'{JOB}.driver.memory: "2Gi" is not allowed (a Spark memory size such as 512m or 4g)'],
        ),
        (
            analytics(mainApplicationFile="/opt/events.py"),
            [
                f'{JOB}.mainApplicationFile: "/opt/events.py" is not allowed (a .py or .jar '
                "file URI such as local:///opt/spark/work-dir/job.py)"
            ],
        ),
        (
            analytics(restart={"policy": "Sometimes"}),
            [
                f'{JOB}.restart.policy: "Sometimes" is not allowed '
                "(one of 'Always', 'OnFailure' or 'Never')"
            ],
        ),
        (
            {"spark": {"jobs": {}}},
            ["data-pipeline:spark.jobs: an empty object is not allowed (at least one entry)"],
        ),
    ],
)
def test_bad_values_are_reported_exactly(raw, lines):
    assert error_of(raw) == lines
