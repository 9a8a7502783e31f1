"""``pipelines.<name>.analytics``: the pipeline's analytics stage.

Its ``spark`` part runs Spark jobs through spark-operator: Structured Streaming jobs reading the
pipeline's Kafka topics (a ``SparkApplication`` each), and periodic batch jobs (a
``ScheduledSparkApplication`` each). Its ``tensorflow`` part is defined in
``pipeline.config.tensorflow``.

Storage: every streaming query checkpoints under ``/mnt/checkpoints/<job>`` on one
ReadWriteMany claim of the ``checkpoint.role`` class (``shared``, a sharedv4 class). RWX rather
than a claim per driver because executors write the state store of stateful queries into the
checkpoint too: a ReadWriteOnce volume on the driver's node would leave them nothing to write
to. Scratch (``spark.local.dir``) is an on-demand claim per executor (``spark-local-dir-1``) of
the ``scratch.role`` class, created and deleted by Spark with the executor.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from pipeline.config.base import (
    ConfigModel,
    Problem,
    Quantity,
    ShortName,
    between,
    matching,
    no_duplicates,
    raise_problems,
)
from pipeline.config.kafka import TopicName
from pipeline.config.loader import ImageReference, IndexName
from pipeline.config.tensorflow import ReadsConfig as TensorflowReads
from pipeline.config.tensorflow import TensorflowConfig

SPARK_VERSION = "4.0.4"
# The Kafka users the program creates for the stage's parts: no configured client may take them.
SPARK_KAFKA_USER = "spark"
TENSORFLOW_KAFKA_USER = "tensorflow"
ANALYTICS_KAFKA_USERS = (SPARK_KAFKA_USER, TENSORFLOW_KAFKA_USER)
# Spark 4 is built for Scala 2.13 only; the source's version must be Spark's own, exactly.
KAFKA_PACKAGE_PREFIX = "org.apache.spark:spark-sql-kafka-0-10_2.13:"

# Spark's JVM sizes (spark.driver.memory): a number and a binary unit letter.
SparkMemory = Annotated[
    str,
    AfterValidator(matching(r"[1-9][0-9]*[kmgt]", "a Spark memory size such as 512m or 4g")),
]
SparkVersion = Annotated[
    str, AfterValidator(matching(r"[0-9]+\.[0-9]+\.[0-9]+", "a Spark version such as 4.0.4"))
]
MainFile = Annotated[
    str,
    AfterValidator(
        matching(
            r"(local|https?|s3a?)://\S+\.(py|jar)",
            "a .py or .jar file URI such as local:///opt/spark/work-dir/job.py",
        )
    ),
]
# Five cron fields or a descriptor (@hourly, @every 1h), as the operator's cron parser reads.
CronSchedule = Annotated[
    str,
    AfterValidator(
        matching(
            r"(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|@every \S+|"
            r"\S+( \S+){4})",
            "a cron schedule such as '0 * * * *' or @hourly",
        )
    ),
]


class DriverConfig(ConfigModel):
    """The driver pod. Memory limit = ``memory`` + ``memoryOverhead``."""

    cores: Annotated[int, AfterValidator(between(1, 64))] = 1
    memory: SparkMemory = "2g"
    memory_overhead: SparkMemory | None = None
    """Off-heap memory; unset: Spark's max(384m, 0.10 x memory) for JVM jobs (0.40 for
    Python jobs, whose workers live outside the heap)."""


class ExecutorConfig(ConfigModel):
    """The executor pods, each with ``cores`` (its CPU request and limit) and ``memory``."""

    instances: Annotated[int, AfterValidator(between(1, 1000))] = 2
    cores: Annotated[int, AfterValidator(between(1, 64))] = 2
    memory: SparkMemory = "4g"
    memory_overhead: SparkMemory | None = None


class DynamicAllocationConfig(ConfigModel):
    """Executors scaled between ``min`` and ``max`` with the load; shuffle tracking (needed on
    Kubernetes, which has no external shuffle service) is always on."""

    enabled: bool = False
    min: Annotated[int, AfterValidator(between(0, 1000))] = 1
    max: Annotated[int, AfterValidator(between(1, 1000))] = 4


class RestartConfig(ConfigModel):
    """What the operator does when the job's driver ends.

    ``Always`` (the streaming default): a streaming query is never meant to end, so any end is
    resubmitted, forever; the not-running alert catches a crash loop. ``OnFailure`` gives up
    after ``retries`` (the batch default).
    """

    policy: Literal["Always", "OnFailure", "Never"] | None = None
    """Unset: Always for streaming jobs, OnFailure for scheduled ones."""
    retries: Annotated[int, AfterValidator(between(0, 1000))] = 3
    retry_interval: Annotated[int, AfterValidator(between(1, 86400))] = 30
    """Seconds between a failed run and the next."""
    submission_retries: Annotated[int, AfterValidator(between(0, 1000))] = 5
    submission_retry_interval: Annotated[int, AfterValidator(between(1, 86400))] = 60


class ReadsConfig(ConfigModel):
    """What the job reads: topics of the pipeline's Kafka, indices of its Elasticsearch."""

    topics: Annotated[tuple[TopicName, ...], AfterValidator(no_duplicates)] = ()
    indices: Annotated[tuple[IndexName, ...], AfterValidator(no_duplicates)] = ()


class SparkJobConfig(ConfigModel):
    """One Spark job (``SparkApplication`` ``spark-<name>``)."""

    type: Literal["streaming", "scheduled"]
    schedule: CronSchedule | None = None
    """Scheduled jobs only: when to run."""
    image: ImageReference = f"apache/spark:{SPARK_VERSION}"
    spark_version: SparkVersion = SPARK_VERSION
    kafka_package: str = f"{KAFKA_PACKAGE_PREFIX}{SPARK_VERSION}"
    """Resolved by spark-submit; its version must equal ``sparkVersion``."""
    main_application_file: MainFile
    main_class: Annotated[str, Field(min_length=1)] | None = None
    """JVM jobs: the class with ``main``."""
    arguments: tuple[str, ...] = ()
    reads: ReadsConfig
    trigger_interval: Annotated[int, AfterValidator(between(1, 86400))] = 60
    """Streaming jobs: seconds between micro-batches; a batch that takes longer is behind."""
    driver: DriverConfig = DriverConfig()
    executor: ExecutorConfig = ExecutorConfig()
    dynamic_allocation: DynamicAllocationConfig = DynamicAllocationConfig()
    restart: RestartConfig = RestartConfig()

    @property
    def restart_policy(self) -> str:
        if self.restart.policy is not None:
            return self.restart.policy
        return "Always" if self.type == "streaming" else "OnFailure"

    @model_validator(mode="after")
    def _check_the_job(self) -> SparkJobConfig:
        raise_problems(self._problems())
        return self

    def _problems(self) -> Iterator[Problem]:
        expected = f"{KAFKA_PACKAGE_PREFIX}{self.spark_version}"
        if self.kafka_package != expected:
            yield Problem(
                ("kafkaPackage",),
                self.kafka_package,
                f"{expected}: the Kafka source must match sparkVersion {self.spark_version} "
                "exactly",
            )
        if self.type == "scheduled" and self.schedule is None:
            yield Problem(("schedule",), rule="required for a scheduled job")
        if self.type == "streaming" and self.schedule is not None:
            yield Problem(("schedule",), rule="only used by scheduled jobs")
        if self.type == "streaming" and not self.reads.topics:
            yield Problem(("reads", "topics"), rule="a streaming job reads at least one topic")
        if not self.reads.topics and not self.reads.indices:
            yield Problem(("reads",), rule="name the topics and/or indices the job reads")
        if self.main_application_file.endswith(".jar") and self.main_class is None:
            yield Problem(("mainClass",), rule="required for a .jar main application file")
        allocation = self.dynamic_allocation
        if allocation.enabled and allocation.min > allocation.max:
            yield Problem(
                ("dynamicAllocation",),
                rule=f"min {allocation.min} is above max {allocation.max}",
            )


class VolumeConfig(ConfigModel):
    role: ShortName
    size: Quantity


class SparkConfig(ConfigModel):
    """The pipeline's Spark jobs, their checkpoints and scratch space."""

    jobs: Annotated[dict[ShortName, SparkJobConfig], Field(min_length=1)]
    checkpoint: VolumeConfig = VolumeConfig(role="shared", size="10Gi")
    """One ReadWriteMany claim for every job's checkpoints: the role's class must be sharedv4."""
    scratch: VolumeConfig = VolumeConfig(role="scratch", size="20Gi")
    """Size of each executor's on-demand scratch claim."""
    max_consumer_lag: Annotated[int, AfterValidator(between(1, 10**9))] = 100000
    """Alert when a job's group lags more messages than this on one topic."""
    max_executor_losses: Annotated[int, AfterValidator(between(1, 1000))] = 3
    """Alert when more executors than this exit unexpectedly in 15 minutes."""


class AnalyticsConfig(ConfigModel):
    """The pipeline's analytics stage: Spark jobs, TensorFlow workers, or both."""

    spark: SparkConfig | None = None
    tensorflow: TensorflowConfig | None = None

    @model_validator(mode="after")
    def _something_to_run(self) -> AnalyticsConfig:
        if self.spark is None and self.tensorflow is None:
            raise_problems([Problem((), rule="give spark and/or tensorflow")])
        return self

    def reads(self) -> tuple[tuple[tuple[str, ...], ReadsConfig | TensorflowReads], ...]:
        """(key path under ``analytics``, what it reads) of each part that reads."""
        parts: list[tuple[tuple[str, ...], ReadsConfig | TensorflowReads]] = []
        if self.spark is not None:
            parts += [
                (("spark", "jobs", job, "reads"), j.reads) for job, j in self.spark.jobs.items()
            ]
        if self.tensorflow is not None:
            parts.append((("tensorflow", "reads"), self.tensorflow.reads))
        return tuple(parts)

    def volumes(self) -> tuple[tuple[tuple[str, ...], str, bool], ...]:
        """(key path under ``analytics``, storage role, whether it is shared by many nodes) of
        each volume the stage claims."""
        volumes: list[tuple[tuple[str, ...], str, bool]] = []
        if self.spark is not None:
            volumes += [
                (("spark", "checkpoint", "role"), self.spark.checkpoint.role, True),
                (("spark", "scratch", "role"), self.spark.scratch.role, False),
            ]
        if self.tensorflow is not None:
            volumes += [
                (("tensorflow", "model", "storageRole"), self.tensorflow.model.storage_role, True),
                (
                    ("tensorflow", "scratch", "storageRole"),
                    self.tensorflow.scratch.storage_role,
                    False,
                ),
            ]
        return tuple(volumes)
