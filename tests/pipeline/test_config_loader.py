"""The loader section: defaults and the exact message per bad value.

The model is validated on its own: paths start at the section (``data-pipeline:connectors...``);
in a stack file they carry the ``pipelines.<p>.loader.`` prefix (tests at the end).
"""

from __future__ import annotations

import pytest

from pipeline.config import ConfigError, parse_config
from pipeline.config.base import validate
from pipeline.config.loader import LoaderConfig
from tests.conftest import minimal_config

IMAGE = "registry.example.com/connect-elasticsearch:16.0.1-kafka-4.3.1"


def loader(**changes) -> dict:
    return {"image": IMAGE, "connectors": {"events": {"topics": ["clicks"]}}, **changes}


def error_of(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate(LoaderConfig, raw)
    return str(caught.value).splitlines()


def test_defaults():
    config = validate(LoaderConfig, loader())
    assert (config.plugin_delivery, config.replicas, config.internal_topic_replicas) == (
        "image",
        2,
        3,
    )
    assert config.resources.as_kubernetes() == {
        "requests": {"cpu": "500m", "memory": "2Gi"},
        "limits": {"cpu": "2", "memory": "2Gi"},
    }
    assert config.max_consumer_lag == 10000
    events = config.connectors["events"]
    assert (events.tasks_max, events.index.name, events.index.alias) == (2, None, False)
    assert (events.dead_letter_topic.partitions, events.dead_letter_topic.replicas) == (1, 3)


@pytest.mark.parametrize(
    "image",
    [
        "quay.io/acme/connect-es:16.0.1",
        "registry.local:5000/connect:1",
        "connect@sha256:" + "0" * 64,
        "connect:latest@sha256:" + "0" * 64,
    ],
)
def test_pinned_images_are_accepted(image):
    assert validate(LoaderConfig, loader(image=image)).image == image


IMAGE_RULE = (
    "an image reference pinned by a tag other than latest or by a digest, such as "
    "registry.example.com/kafka-connect-elasticsearch:16.0.1"
)


@pytest.mark.parametrize(
    ("raw", "lines"),
    [
        (
            loader(image="quay.io/acme/connect-es"),
            [f'data-pipeline:image: "quay.io/acme/connect-es" is not allowed ({IMAGE_RULE})'],
        ),
        (
            loader(image="quay.io/acme/connect-es:latest"),
            [
                'data-pipeline:image: "quay.io/acme/connect-es:latest" is not allowed '
                f"({IMAGE_RULE})"
            ],
        ),
        (
            {"connectors": {"events": {"topics": ["clicks"]}}},
            [
                "data-pipeline:image: required with pluginDelivery image: the Connect image that "
                "holds kafka-connect-elasticsearch >= 16.0 (Connect Build cannot run under the "
                "restricted Pod Security Standard)"
            ],
        ),
        (
            loader(pluginImage="quay.io/acme/plugin:16.0.1"),
            ["data-pipeline:pluginImage: only used with pluginDelivery imageArtifact"],
        ),
        (
            loader(pluginDelivery="imageArtifact"),
            [
                "data-pipeline:pluginImage: required with pluginDelivery imageArtifact: the OCI "
                "image holding the plugin's jars"
            ],
        ),
        (
            loader(pluginDelivery="build"),
            [
                'data-pipeline:pluginDelivery: "build" is not allowed '
                "(one of 'image' or 'imageArtifact')"
            ],
        ),
        (
            loader(connectors={}),
            ["data-pipeline:connectors: an empty object is not allowed (at least one entry)"],
        ),
        (
            loader(connectors={"events": {"topics": []}}),
            [
                "data-pipeline:connectors.events.topics: an empty list is not allowed "
                "(at least one entry)"
            ],
        ),
        (
            loader(connectors={"events": {"topics": ["clicks", "loader-dlq-x", "clicks"]}}),
            [
                'data-pipeline:connectors.events.topics[1]: "loader-dlq-x" is not allowed (a '
                "topic of the pipeline, not the loader's own (loader-internal-*, loader-dlq-*))",
                "data-pipeline:connectors.events.topics: lists clicks 2 times",
            ],
        ),
        (
            loader(connectors={"events": {"topics": ["clicks"], "index": {"alias": True}}}),
            [
                "data-pipeline:connectors.events.index.alias: needs index.name, the alias to "
                "write to"
            ],
        ),
        (
            loader(connectors={"events": {"topics": ["clicks"], "index": {"name": "Web"}}}),
            [
                'data-pipeline:connectors.events.index.name: "Web" is not allowed (an '
                "Elasticsearch index or alias name: lowercase letters, digits, '.', '_' and '-', "
                "starting with a letter or digit)"
            ],
        ),
        (
            loader(connectors={"events": {"topics": ["clicks"], "tasksMax": 0}}),
            ["data-pipeline:connectors.events.tasksMax: 0 is not allowed (1..1000)"],
        ),
        (
            loader(connectors={"Events": {"topics": ["clicks"]}}),
            [
                'data-pipeline:connectors.Events: "Events" is not allowed (a DNS label of at most '
                "30 characters: lowercase letters, digits and '-')"
            ],
        ),
        (
            loader(
                connectors={"events": {"topics": ["clicks"], "deadLetterTopic": {"replicas": 0}}}
            ),
            ["data-pipeline:connectors.events.deadLetterTopic.replicas: 0 is not allowed (1..99)"],
        ),
        (
            loader(internalTopicReplicas=0, replicas=21),
            [
                "data-pipeline:replicas: 21 is not allowed (1..20)",
                "data-pipeline:internalTopicReplicas: 0 is not allowed (1..99)",
            ],
        ),
        (
            loader(build={}),
            [
                "data-pipeline:build: unknown key (allowed here: connectors, image, "
                "internalTopicReplicas, maxConsumerLag, pluginDelivery, pluginImage, replicas, "
                "resources)"
            ],
        ),
    ],
)
def test_bad_values_are_named_with_what_is_allowed(raw: dict, lines: list[str]):
    assert error_of(raw) == lines


def test_image_artifacts_may_keep_strimzis_connect_image():
    config = validate(
        LoaderConfig,
        {
            "pluginDelivery": "imageArtifact",
            "pluginImage": "quay.io/acme/kafka-connect-elasticsearch:16.0.1",
            "connectors": {"events": {"topics": ["clicks"]}},
        },
    )
    assert (config.image, config.plugin_image) == (
        None,
        "quay.io/acme/kafka-connect-elasticsearch:16.0.1",
    )


def _stack_with_loader(**loader_changes) -> dict:
    return minimal_config(
        pipelines={
            "clicks": {
                "storage": {"db": "1Ti"},
                "kafka": {"storageRole": "db", "topics": {"clicks": {}}},
                "elasticsearch": {
                    "data": {"storageRole": "db", **ES_NODES},
                    "masters": {"storageRole": "db", **ES_NODES},
                },
                "loader": {
                    "image": "registry.example.com/connect-es:16.0.1-kafka-4.3.1",
                    "connectors": {"clicks": {"topics": ["clicks"]}},
                    **loader_changes,
                },
            }
        }
    )


ES_NODES = {
    "count": 3,
    "storage": "10Gi",
    "heap": "1Gi",
    "resources": {
        "requests": {"cpu": "1", "memory": "2Gi"},
        "limits": {"cpu": "1", "memory": "2Gi"},
    },
}


def test_a_loaders_references_across_sections_are_checked():
    raw = _stack_with_loader(
        internalTopicReplicas=5,
        connectors={
            "clicks": {"topics": ["clickz"], "deadLetterTopic": {"replicas": 4}},
        },
    )
    raw["pipelines"]["clicks"]["kafka"]["topics"]["loader-dlq-x"] = {}
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert str(caught.value).splitlines() == [
        'data-pipeline:pipelines.clicks.loader.connectors.clicks.topics[0]: "clickz" is not '
        "allowed (a topic of pipelines.clicks.kafka.topics: clicks, loader-dlq-x)",
        "data-pipeline:pipelines.clicks.loader.internalTopicReplicas: 5 is not allowed (at most "
        "the 3 brokers of its Kafka)",
        "data-pipeline:pipelines.clicks.loader.connectors.clicks.deadLetterTopic.replicas: 4 is "
        "not allowed (at most the 3 brokers of its Kafka)",
        'data-pipeline:pipelines.clicks.kafka.topics.loader-dlq-x: "loader-dlq-x" is not '
        "allowed (a name outside the loader's own loader-internal-*, loader-dlq-*)",
    ]


def test_a_loader_needs_the_pipelines_kafka_and_elasticsearch():
    raw = _stack_with_loader()
    del raw["pipelines"]["clicks"]["elasticsearch"]
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert str(caught.value) == (
        "data-pipeline:pipelines.clicks.loader: needs pipelines.clicks.kafka and "
        "pipelines.clicks.elasticsearch: it loads the one into the other"
    )


def test_a_valid_loader_stack_parses():
    config = parse_config(_stack_with_loader())
    assert config.pipelines["clicks"].loader.connectors["clicks"].topics == ("clicks",)
