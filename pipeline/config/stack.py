"""The whole stack: every section, and the rules that tie sections together."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from components.connect import DEAD_LETTER_TOPIC_PREFIX, INTERNAL_TOPIC_PREFIX
from components.quantities import format_bytes, quantity_bytes
from components.spark import STAGE as ANALYTICS
from pipeline.config.analytics import ANALYTICS_KAFKA_USERS
from pipeline.config.archive import ArchiveConfig
from pipeline.config.autopilot import AutopilotConfig
from pipeline.config.base import (
    ConfigModel,
    PipelineName,
    Problem,
    raise_problems,
    read_namespace_values,
    validate,
)
from pipeline.config.elasticsearch import elasticsearch_problems
from pipeline.config.kubernetes import KubernetesConfig
from pipeline.config.migration import MigrationConfig
from pipeline.config.monitoring import MonitoringConfig
from pipeline.config.operators import OperatorsConfig
from pipeline.config.pipelines import PipelineConfig
from pipeline.config.protection import ProtectionConfig
from pipeline.config.storage import StorageConfig


class StackConfig(ConfigModel):
    """Everything under the ``data-pipeline:`` config namespace."""

    environment: Literal["dev", "staging", "prod"]
    storage: StorageConfig
    pipelines: Annotated[dict[PipelineName, PipelineConfig], Field(min_length=1)]
    kubernetes: KubernetesConfig = KubernetesConfig()
    operators: OperatorsConfig = OperatorsConfig()
    monitoring: MonitoringConfig = MonitoringConfig()
    archive: ArchiveConfig | None = None
    autopilot: AutopilotConfig | None = None
    protection: ProtectionConfig | None = None
    migration: MigrationConfig | None = None

    @model_validator(mode="after")
    def _check_across_sections(self) -> StackConfig:
        # Runs once every section is valid on its own, so each rule reads parsed models.
        raise_problems(self._problems())
        return self

    def _problems(self) -> Iterator[Problem]:
        yield from _undeclared(
            (
                (("pipelines", name, "storage", role), role)
                for name, pipeline in self.pipelines.items()
                for role in pipeline.storage
            ),
            self.storage.classes,
            "a role declared in storage.classes",
        )
        yield from _undeclared(
            (
                (("storage", "classes", role, "encryptionKey"), cls.encryption_key)
                for role, cls in self.storage.classes.items()
                if cls.encryption_key
            ),
            self.storage.encryption_keys,
            "a key declared in storage.encryptionKeys",
        )
        for name, pipeline in self.pipelines.items():
            if pipeline.kafka is not None:
                yield from _kafka_problems(name, pipeline)
            if pipeline.elasticsearch is not None:
                yield from elasticsearch_problems(name, pipeline.elasticsearch, pipeline.storage)
            if pipeline.loader is not None:
                yield from _loader_problems(name, pipeline)
            if pipeline.analytics is not None:
                yield from _analytics_problems(name, pipeline, self.storage)
        if self.protection is not None:
            yield from self._protection_problems()
        if self.autopilot is not None and self.autopilot.claims is not None:
            yield from _claim_growth_problems(self.autopilot.claims.max_size, self.pipelines)
        if self.kubernetes.render_directory is not None:
            for name, key in self.storage.encryption_keys.items():
                if key.passphrase is not None:
                    yield Problem(
                        ("storage", "encryptionKeys", name, "passphrase"),
                        rule="not allowed with kubernetes.renderDirectory: the rendered Secret "
                        "would hold the passphrase in clear (use existingSecret)",
                    )

    def _protection_problems(self) -> Iterator[Problem]:
        """Cloud snapshots and backups go to the archive, through Portworx's cloud snapshots."""
        if self.archive is None:
            yield Problem(("protection",), rule="needs archive: snapshots and backups go there")
        if not self.storage.snapshots.cloud.enabled:
            yield Problem(
                ("storage", "snapshots", "cloud", "enabled"),
                rule="must be true with protection: its schedules take cloud snapshots",
            )
        assert self.protection is not None
        yield from _undeclared(
            (
                (("protection", "exemptRoles", index), role)
                for index, role in enumerate(self.protection.exempt_roles)
            ),
            self.storage.classes,
            "a role declared in storage.classes",
        )


def _claim_growth_problems(
    max_size: str, pipelines: Mapping[str, PipelineConfig]
) -> Iterator[Problem]:
    """Autopilot may grow each Elasticsearch data claim to ``max_size``; beyond the namespace's
    quota the API server refuses the resize and Elasticsearch fills up instead. The data role's
    quota must hold them at that size beside the pipeline's other claims on the role."""
    for name, pipeline in pipelines.items():
        es = pipeline.elasticsearch
        if es is None:
            continue
        role = es.data.storage_role
        quota = pipeline.storage.get(role)
        grown = es.data.count * max(quantity_bytes(max_size), quantity_bytes(es.data.storage))
        claimed = grown + sum(
            count * quantity_bytes(size)
            for claim_role, count, size in _fixed_claims(pipeline)
            if claim_role == role
        )
        if quota is not None and claimed > quantity_bytes(quota):
            yield Problem(
                ("autopilot", "claims", "maxSize"),
                max_size,
                f"at most what pipelines.{name}.storage.{role} ({quota}) holds: Autopilot may "
                f"grow the {name} Elasticsearch data claims to it, {format_bytes(claimed)} on "
                f"{role} with the pipeline's other claims",
            )


def _fixed_claims(pipeline: PipelineConfig) -> Iterator[tuple[str, int, str]]:
    """(role, count, size) of the claims the pipeline's elements make at a fixed size, but the
    Elasticsearch data nodes' (which Autopilot may grow)."""
    es, kafka, analytics = pipeline.elasticsearch, pipeline.kafka, pipeline.analytics
    if es is not None and es.node_sets == "dedicated":
        yield es.masters.storage_role, es.masters.count, es.masters.storage
    if kafka is not None:
        brokers = kafka.brokers
        yield kafka.storage_role, brokers.replicas * brokers.volumes, brokers.storage
        if kafka.node_pools == "dedicated":
            yield kafka.storage_role, kafka.controllers.replicas, kafka.controllers.storage
    if analytics is not None and analytics.spark is not None:
        yield analytics.spark.checkpoint.role, 1, analytics.spark.checkpoint.size
    if analytics is not None and analytics.tensorflow is not None:
        tensorflow = analytics.tensorflow
        yield tensorflow.model.storage_role, 1, tensorflow.model.size
        if tensorflow.kind == "StatefulSet":
            scratch = tensorflow.scratch
            yield scratch.storage_role, tensorflow.replicas, scratch.size


def _kafka_problems(name: str, pipeline: PipelineConfig) -> Iterator[Problem]:
    kafka = pipeline.kafka
    assert kafka is not None
    where = ("pipelines", name, "kafka")
    yield from _undeclared(
        [((*where, "storageRole"), kafka.storage_role)],
        pipeline.storage,
        f"a role pipelines.{name}.storage claims",
    )
    for client, cfg in kafka.clients.items():
        for access in ("produces", "consumes"):
            yield from _undeclared(
                (
                    ((*where, "clients", client, access, index), topic)
                    for index, topic in enumerate(getattr(cfg, access))
                ),
                kafka.topics,
                f"a topic of pipelines.{name}.kafka.topics",
            )


def _loader_problems(name: str, pipeline: PipelineConfig) -> Iterator[Problem]:
    loader = pipeline.loader
    assert loader is not None
    where = ("pipelines", name, "loader")
    kafka = pipeline.kafka
    if kafka is None or pipeline.elasticsearch is None:
        yield Problem(
            where,
            rule=f"needs pipelines.{name}.kafka and pipelines.{name}.elasticsearch: it loads "
            "the one into the other",
        )
        return
    for connector, spec in loader.connectors.items():
        yield from _undeclared(
            (
                ((*where, "connectors", connector, "topics", index), topic)
                for index, topic in enumerate(spec.topics)
            ),
            kafka.topics,
            f"a topic of pipelines.{name}.kafka.topics",
        )
    brokers = kafka.brokers.replicas
    replicas = {("internalTopicReplicas",): loader.internal_topic_replicas} | {
        ("connectors", connector, "deadLetterTopic", "replicas"): spec.dead_letter_topic.replicas
        for connector, spec in loader.connectors.items()
    }
    for path, count in replicas.items():
        if count > brokers:
            yield Problem((*where, *path), count, f"at most the {brokers} brokers of its Kafka")
    for topic in kafka.topics:
        if topic.startswith((INTERNAL_TOPIC_PREFIX, DEAD_LETTER_TOPIC_PREFIX)):
            yield Problem(
                ("pipelines", name, "kafka", "topics", topic),
                topic,
                f"a name outside the loader's own {INTERNAL_TOPIC_PREFIX}*, "
                f"{DEAD_LETTER_TOPIC_PREFIX}*",
            )


def _analytics_problems(
    name: str, pipeline: PipelineConfig, storage: StorageConfig
) -> Iterator[Problem]:
    analytics = pipeline.analytics
    assert analytics is not None
    where = ("pipelines", name, "analytics")
    kafka, elasticsearch = pipeline.kafka, pipeline.elasticsearch
    for path, reads in analytics.reads():
        if reads.topics and kafka is None:
            yield Problem((*where, *path, "topics"), rule=f"needs pipelines.{name}.kafka")
        elif kafka is not None:
            yield from _undeclared(
                (
                    ((*where, *path, "topics", index), topic)
                    for index, topic in enumerate(reads.topics)
                ),
                kafka.topics,
                f"a topic of pipelines.{name}.kafka.topics",
            )
        if reads.indices and elasticsearch is None:
            yield Problem((*where, *path, "indices"), rule=f"needs pipelines.{name}.elasticsearch")
    for path, role, shared in analytics.volumes():
        if role not in pipeline.storage:
            yield from _undeclared(
                [((*where, *path), role)],
                pipeline.storage,
                f"a role pipelines.{name}.storage claims",
            )
        elif role in storage.classes and storage.classes[role].sharedv4 != shared:
            yield Problem(
                (*where, *path),
                role,
                "a role whose class has sharedv4: true (the volume is ReadWriteMany)"
                if shared
                else "a role whose class is not sharedv4 (the volume is ReadWriteOnce)",
            )
    # The stage's own users, which the program adds beside the configured ones.
    taken = (
        ("kafka", kafka.clients if kafka else {}, ANALYTICS_KAFKA_USERS),
        ("elasticsearch", elasticsearch.clients if elasticsearch else {}, (ANALYTICS,)),
    )
    for section, clients, reserved in taken:
        for client in reserved:
            if client in clients:
                yield Problem(
                    ("pipelines", name, section, "clients", client),
                    client,
                    f"a name other than {', '.join(reserved)}: the analytics stage's own",
                )


def _undeclared(
    references: Iterable[tuple[tuple[str, ...], str]],
    declared: Mapping[str, Any],
    described_as: str,
) -> Iterator[Problem]:
    """A problem for each reference (the key path where a name is used, the name) that names
    nothing in ``declared``."""
    names = ", ".join(sorted(declared)) or "none declared"
    for path, name in references:
        if name not in declared:
            yield Problem(path, name, f"{described_as}: {names}")


def parse_config(raw: Mapping[str, Any]) -> StackConfig:
    """Validate the raw ``data-pipeline:`` keys (objects already JSON-decoded)."""
    return validate(StackConfig, raw)


def read_stack_config() -> StackConfig:
    """Read and validate this stack's configuration from the Pulumi runtime, once."""
    return parse_config(read_namespace_values())
