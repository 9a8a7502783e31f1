"""The ``pipelines`` section: one entry per pipeline, each in a namespace of its own."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from pipeline.config.analytics import AnalyticsConfig
from pipeline.config.base import ConfigModel, Quantity, ShortName
from pipeline.config.elasticsearch import ElasticsearchConfig
from pipeline.config.kafka import KafkaConfig
from pipeline.config.loader import LoaderConfig


class PipelineConfig(ConfigModel):
    """One pipeline of the stack, deployed into a namespace of its own."""

    storage: Annotated[dict[ShortName, Quantity], Field(min_length=1)]
    """Storage roles the pipeline may claim, each with its capacity quota (e.g. db: 200Gi)."""
    kafka: KafkaConfig | None = None
    """The pipeline's Kafka cluster; none when unset."""
    elasticsearch: ElasticsearchConfig | None = None
    """The pipeline's Elasticsearch cluster; none when unset."""
    loader: LoaderConfig | None = None
    """Kafka Connect loading the pipeline's topics into its Elasticsearch; none when unset."""
    analytics: AnalyticsConfig | None = None
    """Spark jobs and/or TensorFlow workers analysing the pipeline's events; none when unset."""
