"""``pipelines.<p>.analytics`` in the stack: what it reads and claims is checked against the
pipeline's Kafka, Elasticsearch and storage, with the exact message per problem."""

from __future__ import annotations

import pytest

from pipeline.config import ConfigError, parse_config
from tests.conftest import minimal_config
from tests.pipeline.test_config_loader import ES_NODES

SPARK_JOB = {
    "type": "streaming",
    "mainApplicationFile": "local:///opt/spark/work-dir/events.py",
    "reads": {"topics": ["clicks"]},
}
TENSORFLOW = {
    "image": "registry.example.com/scorer:2.18.0",
    "reads": {"topics": ["clicks"], "indices": ["clicks-*"]},
}


def stack(analytics: dict, kafka: bool = True, elasticsearch: bool = True) -> dict:
    pipeline: dict = {
        "storage": {"db": "1Ti", "shared": "10Gi", "scratch": "50Gi"},
        "analytics": analytics,
    }
    if kafka:
        pipeline["kafka"] = {"storageRole": "db", "topics": {"clicks": {}}}
    if elasticsearch:
        pipeline["elasticsearch"] = {
            "nodeSets": "combined",
            "data": {"storageRole": "db", **ES_NODES},
        }
    return minimal_config(
        storage={
            "classes": {
                "db": {"repl": 2},
                "shared": {"repl": 2, "sharedv4": True},
                "scratch": {"repl": 1, "reclaimPolicy": "Delete"},
            }
        },
        pipelines={"clicks": pipeline},
    )


def errors(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return str(caught.value).splitlines()


def test_spark_and_tensorflow_together_parse():
    config = parse_config(
        stack({"spark": {"jobs": {"events": SPARK_JOB}}, "tensorflow": TENSORFLOW})
    )
    analytics = config.pipelines["clicks"].analytics
    assert analytics.spark.jobs["events"].reads.topics == ("clicks",)
    assert analytics.tensorflow.reads.indices == ("clicks-*",)


def test_an_empty_analytics_section_is_refused():
    assert errors(stack({})) == [
        "data-pipeline:pipelines.clicks.analytics: give spark and/or tensorflow"
    ]


def test_topics_must_be_the_pipelines_and_reads_need_their_elements():
    raw = stack(
        {
            "spark": {"jobs": {"events": {**SPARK_JOB, "reads": {"topics": ["clickz"]}}}},
            "tensorflow": {**TENSORFLOW, "reads": {"topics": ["clicks", "views"]}},
        }
    )
    assert errors(raw) == [
        'data-pipeline:pipelines.clicks.analytics.spark.jobs.events.reads.topics[0]: "clickz" '
        "is not allowed (a topic of pipelines.clicks.kafka.topics: clicks)",
        'data-pipeline:pipelines.clicks.analytics.tensorflow.reads.topics[1]: "views" is not '
        "allowed (a topic of pipelines.clicks.kafka.topics: clicks)",
    ]
    assert errors(stack({"tensorflow": TENSORFLOW}, kafka=False, elasticsearch=False)) == [
        "data-pipeline:pipelines.clicks.analytics.tensorflow.reads.topics: needs "
        "pipelines.clicks.kafka",
        "data-pipeline:pipelines.clicks.analytics.tensorflow.reads.indices: needs "
        "pipelines.clicks.elasticsearch",
    ]


def test_volumes_need_claimed_roles_of_the_right_sharing():
    raw = stack(
        {
            "spark": {
                "jobs": {"events": SPARK_JOB},
                "checkpoint": {"role": "db", "size": "1Gi"},
                "scratch": {"role": "archive", "size": "1Gi"},
            },
            "tensorflow": {
                **TENSORFLOW,
                "model": {"storageRole": "shared"},
                "scratch": {"storageRole": "shared"},
            },
        }
    )
    raw["storage"]["classes"]["archive"] = {"repl": 2}
    # The TensorFlow part refuses one role for both of its volumes on its own, first.
    raw["pipelines"]["clicks"]["analytics"]["tensorflow"]["scratch"] = {"storageRole": "db"}
    assert errors(raw) == [
        'data-pipeline:pipelines.clicks.analytics.spark.checkpoint.role: "db" is not allowed '
        "(a role whose class has sharedv4: true (the volume is ReadWriteMany))",
        'data-pipeline:pipelines.clicks.analytics.spark.scratch.role: "archive" is not allowed '
        "(a role pipelines.clicks.storage claims: db, scratch, shared)",
    ]
    raw["pipelines"]["clicks"]["analytics"]["spark"]["checkpoint"]["role"] = "shared"
    raw["pipelines"]["clicks"]["analytics"]["spark"]["scratch"]["role"] = "shared"
    assert errors(raw) == [
        'data-pipeline:pipelines.clicks.analytics.spark.scratch.role: "shared" is not allowed '
        "(a role whose class is not sharedv4 (the volume is ReadWriteOnce))",
    ]


def test_the_stages_own_user_names_are_reserved():
    raw = stack({"spark": {"jobs": {"events": SPARK_JOB}}, "tensorflow": TENSORFLOW})
    clicks = raw["pipelines"]["clicks"]
    clicks["kafka"]["clients"] = {"spark": {"consumes": ["clicks"]}}
    clicks["elasticsearch"]["clients"] = {"analytics": {"privileges": "read", "indices": ["x"]}}
    assert errors(raw) == [
        'data-pipeline:pipelines.clicks.kafka.clients.spark: "spark" is not allowed (a name '
        "other than spark, tensorflow: the analytics stage's own)",
        'data-pipeline:pipelines.clicks.elasticsearch.clients.analytics: "analytics" is not '
        "allowed (a name other than analytics: the analytics stage's own)",
    ]
