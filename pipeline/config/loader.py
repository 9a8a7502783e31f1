"""``pipelines.<name>.loader``: Kafka Connect loading the pipeline's topics into Elasticsearch.

The sink is Confluent's ``kafka-connect-elasticsearch`` >= 16.0 (the first that talks to
Elasticsearch 8 and 9). It reaches the workers in one of two ways, chosen by ``pluginDelivery``;
never through Strimzi's Connect Build, whose build pod cannot run under the "restricted" Pod
Security Standard that every pipeline namespace enforces:

- ``image`` (default): a Connect image with the plugin baked in, built outside the cluster
  (``FROM quay.io/strimzi/kafka:<strimzi>-kafka-<kafka>``); works on every supported Kubernetes.
- ``imageArtifact``: Strimzi's own Connect image plus an OCI image holding only the plugin,
  mounted as an image volume; needs the ImageVolume feature, on by default from Kubernetes 1.35.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.connect import DEAD_LETTER_TOPIC_PREFIX, INTERNAL_TOPIC_PREFIX
from pipeline.config.base import (
    ConfigModel,
    Problem,
    ShortName,
    at_least_one,
    between,
    matching,
    not_allowed,
    raise_problems,
)
from pipeline.config.compute import ResourcesConfig, resources
from pipeline.config.kafka import TopicName

_IMAGE_REFERENCE = re.compile(
    r"[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+(?=/))?(/[a-z0-9]+([._-][a-z0-9]+)*)*"
    r"(:(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?P<digest>@sha256:[0-9a-f]{64})?"
)


def _pinned_image(reference: str) -> str:
    """An image reference with a tag other than ``latest``, or a digest: what runs is what was
    reviewed, and a rollout happens only when the reference changes."""
    match = _IMAGE_REFERENCE.fullmatch(reference)
    if match is None or not (match.group("digest") or match.group("tag") not in (None, "latest")):
        raise not_allowed(
            "an image reference pinned by a tag other than latest or by a digest, such as "
            "registry.example.com/kafka-connect-elasticsearch:16.0.1"
        )
    return reference


ImageReference = Annotated[str, AfterValidator(_pinned_image)]
IndexName = Annotated[
    str,
    AfterValidator(
        matching(
            r"(?=.{1,255}$)[a-z0-9][a-z0-9._-]*",
            "an Elasticsearch index or alias name: lowercase letters, digits, '.', '_' and '-', "
            "starting with a letter or digit",
        )
    ),
]


class DeadLetterTopicConfig(ConfigModel):
    """The connector's dead-letter topic, ``loader-dlq-<connector>``."""

    partitions: Annotated[int, AfterValidator(between(1, 100))] = 1
    """Errors are few and read in order: one partition keeps that order."""
    replicas: Annotated[int, AfterValidator(between(1, 99))] = 3


class IndexConfig(ConfigModel):
    """Where the connector's documents go in Elasticsearch."""

    name: IndexName | None = None
    """One index (or alias) for every topic of the connector; unset: each topic into an index
    of the topic's name, created by the connector on its first write."""
    alias: bool = False
    """``name`` is an alias: writes go to its write index (rollover). Index or alias must exist
    before the connector starts."""


class ConnectorConfig(ConfigModel):
    """One Elasticsearch sink connector (consumer group ``connect-<name>``)."""

    topics: Annotated[tuple[TopicName, ...], AfterValidator(at_least_one)]
    """Topics of the pipeline's Kafka to load."""
    tasks_max: Annotated[int, AfterValidator(between(1, 1000))] = 2
    """Tasks share the topics' partitions: more tasks than partitions sit idle."""
    index: IndexConfig = IndexConfig()
    dead_letter_topic: DeadLetterTopicConfig = DeadLetterTopicConfig()

    @model_validator(mode="after")
    def _check_the_connector(self) -> ConnectorConfig:
        raise_problems(self._problems())
        return self

    def _problems(self) -> Iterator[Problem]:
        for index, topic in enumerate(self.topics):
            if topic.startswith((INTERNAL_TOPIC_PREFIX, DEAD_LETTER_TOPIC_PREFIX)):
                yield Problem(
                    ("topics", index),
                    topic,
                    f"a topic of the pipeline, not the loader's own ({INTERNAL_TOPIC_PREFIX}*, "
                    f"{DEAD_LETTER_TOPIC_PREFIX}*)",
                )
        for topic, count in Counter(self.topics).items():
            if count > 1:
                yield Problem(("topics",), rule=f"lists {topic} {count} times")
        if self.index.alias and self.index.name is None:
            yield Problem(("index", "alias"), rule="needs index.name, the alias to write to")


class LoaderConfig(ConfigModel):
    """The pipeline's loader: one Kafka Connect cluster and its Elasticsearch sinks."""

    plugin_delivery: Literal["image", "imageArtifact"] = "image"
    """How the sink plugin reaches the workers (see the module's description)."""
    image: ImageReference | None = None
    """The Connect image: with ``image`` delivery, the one with the plugin baked in (required);
    with ``imageArtifact``, an optional replacement for Strimzi's own."""
    plugin_image: ImageReference | None = None
    """The OCI image holding the plugin's jars (``imageArtifact`` delivery only, required)."""
    replicas: Annotated[int, AfterValidator(between(1, 20))] = 2
    """Connect workers: two, so that connectors keep running while one is rolled or rescheduled."""
    resources: ResourcesConfig = resources("500m", "2Gi", "2")
    internal_topic_replicas: Annotated[int, AfterValidator(between(1, 99))] = 3
    """Replication factor of Connect's config, offset and status topics."""
    connectors: Annotated[dict[ShortName, ConnectorConfig], Field(min_length=1)]
    max_consumer_lag: Annotated[int, AfterValidator(between(1, 10**9))] = 10000
    """Alert when a connector's group lags more messages than this on one topic."""

    @model_validator(mode="after")
    def _check_the_delivery(self) -> LoaderConfig:
        raise_problems(self._problems())
        return self

    def _problems(self) -> Iterator[Problem]:
        if self.plugin_delivery == "image" and self.image is None:
            yield Problem(
                ("image",),
                rule="required with pluginDelivery image: the Connect image that holds "
                "kafka-connect-elasticsearch >= 16.0 (Connect Build cannot run under the "
                "restricted Pod Security Standard)",
            )
        if self.plugin_delivery == "image" and self.plugin_image is not None:
            yield Problem(("pluginImage",), rule="only used with pluginDelivery imageArtifact")
        if self.plugin_delivery == "imageArtifact" and self.plugin_image is None:
            yield Problem(
                ("pluginImage",),
                rule="required with pluginDelivery imageArtifact: the OCI image holding the "
                "plugin's jars",
            )
