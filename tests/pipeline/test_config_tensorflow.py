"""The TensorFlow section: defaults and the exact message per bad value.

The model is validated on its own: paths start at the section (``data-pipeline:model...``); its
rules across sections are in ``test_config_analytics.py``.
"""

from __future__ import annotations

import pytest

from pipeline.config import ConfigError
from pipeline.config.base import validate
from pipeline.config.tensorflow import TensorflowConfig

IMAGE = "registry.example.com/clicks-model:2.17.0"


def error_of(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate(TensorflowConfig, raw)
    return str(caught.value).splitlines()


def test_defaults_follow_tf_serving():
    config = validate(TensorflowConfig, {"image": IMAGE})
    assert (config.kind, config.replicas, config.gpus, config.run_as_user) == (
        "StatefulSet",
        2,
        0,
        1000,
    )
    assert config.resources.as_kubernetes() == {
        "requests": {"cpu": "4", "memory": "8Gi"},
        "limits": {"cpu": "4", "memory": "8Gi"},
    }
    assert (config.model.storage_role, config.model.size, config.model.read_only) == (
        "shared",
        "20Gi",
        True,
    )
    assert (config.scratch.storage_role, config.scratch.size) == ("scratch", "20Gi")
    assert config.probe_path(config.readiness) == "/v1/models/model"
    assert (config.readiness.port, config.readiness.period_seconds) == (8501, 10)
    assert (
        config.liveness.initial_delay_seconds,
        config.liveness.period_seconds,
        config.liveness.failure_threshold,
    ) == (60, 20, 6)
    assert config.metrics is None
    assert (config.reads.topics, config.reads.indices, config.reads.consumer_group) == (
        (),
        (),
        "tensorflow",
    )


def test_reads_take_topics_and_index_patterns():
    reads = validate(
        TensorflowConfig,
        {"image": IMAGE, "reads": {"topics": ["clicks"], "indices": ["clicks-*", "sessions"]}},
    ).reads
    assert (reads.topics, reads.indices) == (("clicks",), ("clicks-*", "sessions"))


def test_a_set_liveness_path_keeps_the_liveness_defaults_and_the_model_name_sets_the_path():
    config = validate(
        TensorflowConfig,
        {"image": IMAGE, "modelName": "clicks", "liveness": {"path": "/healthz", "port": 8080}},
    )
    assert config.probe_path(config.readiness) == "/v1/models/clicks"
    assert config.probe_path(config.liveness) == "/healthz"
    assert (config.liveness.port, config.liveness.initial_delay_seconds) == (8080, 60)


def test_metrics_default_to_tf_servings_prometheus_path():
    config = validate(TensorflowConfig, {"image": IMAGE, "metrics": {}})
    assert (config.metrics.port, config.metrics.path) == (8501, "/monitoring/prometheus/metrics")


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        (
            {"image": "tensorflow/tensorflow"},
            [
                'data-pipeline:image: "tensorflow/tensorflow" is not allowed (an image reference '
                "pinned by a tag other than latest or by a digest, such as "
                "registry.example.com/kafka-connect-elasticsearch:16.0.1)"
            ],
        ),
        (
            {"kind": "Job"},
            ["data-pipeline:kind: \"Job\" is not allowed (one of 'StatefulSet' or 'Deployment')"],
        ),
        ({"replicas": 0}, ["data-pipeline:replicas: 0 is not allowed (1..50)"]),
        ({"gpus": 17}, ["data-pipeline:gpus: 17 is not allowed (0..16)"]),
        ({"runAsUser": 0}, ["data-pipeline:runAsUser: 0 is not allowed (1..2147483647)"]),
        (
            {"readiness": {"port": 80}},
            ["data-pipeline:readiness.port: 80 is not allowed (1024..65535)"],
        ),
        (
            {"liveness": {"path": "healthz"}},
            [
                'data-pipeline:liveness.path: "healthz" is not allowed (an absolute HTTP path '
                "such as /v1/models/model)"
            ],
        ),
        (
            {
                "resources": {
                    "requests": {"cpu": "2", "memory": "4Gi"},
                    "limits": {"cpu": "2000m", "memory": "8Gi"},
                }
            },
            [
                "data-pipeline:resources.requests.memory: 4Gi differs from limits.memory 8Gi "
                "(TF Serving: requests equal to limits, so that a worker is never throttled or "
                "evicted first)"
            ],
        ),
        (
            {"scratch": {"storageRole": "shared", "mountPath": "/models"}},
            [
                "data-pipeline:scratch.storageRole: is the model's role shared: the model needs "
                "a ReadWriteMany (sharedv4) class, scratch a ReadWriteOnce one",
                "data-pipeline:scratch.mountPath: is the model's mountPath",
            ],
        ),
        (
            {"reads": {"topics": ["clicks", "clicks"], "indices": ["Clicks"]}},
            [
                "data-pipeline:reads.topics: lists clicks 2 times",
                'data-pipeline:reads.indices[0]: "Clicks" is not allowed (an Elasticsearch '
                "index, alias or pattern such as clicks-*: lowercase letters, digits, '.', '_', "
                "'-' and '*', not starting with '.', '_' or '-')",
            ],
        ),
        (
            {"reads": {"topics": ["clicks", "clicks"]}},
            ["data-pipeline:reads.topics: lists clicks 2 times"],
        ),
        (
            {"model": {"readonly": True}},
            [
                "data-pipeline:model.readonly: unknown key (allowed here: mountPath, readOnly, "
                "size, storageRole)"
            ],
        ),
    ],
)
def test_each_bad_value_has_its_exact_message(changes: dict, errors: list[str]):
    assert error_of({"image": IMAGE, **changes}) == errors


def test_the_image_is_required():
    assert error_of({}) == ["data-pipeline:image: required but not set"]
