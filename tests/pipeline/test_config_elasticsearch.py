"""The Elasticsearch section: defaults and the exact message per bad value.

The section is read as the stack reads it, under ``pipelines.<name>.elasticsearch``, through a
model that holds it the way ``PipelineConfig`` does.
"""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.config import ConfigError
from pipeline.config.base import ConfigModel, Problem, validate
from pipeline.config.elasticsearch import ElasticsearchConfig, elasticsearch_problems

NODES = {
    "count": 3,
    "storage": "50Gi",
    "heap": "2Gi",
    "resources": {
        "requests": {"cpu": "1", "memory": "4Gi"},
        "limits": {"cpu": "2", "memory": "4Gi"},
    },
}


class _Pipeline(ConfigModel):
    elasticsearch: ElasticsearchConfig


class _Stack(ConfigModel):
    pipelines: dict[str, _Pipeline]


def parse(**elasticsearch: Any) -> ElasticsearchConfig:
    stack = validate(_Stack, {"pipelines": {"clicks": {"elasticsearch": elasticsearch}}})
    return stack.pipelines["clicks"].elasticsearch


def error_of(**elasticsearch: Any) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse(**elasticsearch)
    return str(caught.value).splitlines()


def test_defaults_follow_elastics_guidance():
    config = parse()
    assert (config.version, config.node_sets) == ("9.4.3", "dedicated")
    assert (config.masters.count, config.data.count) == (3, 3)
    assert config.data.storage_role == "replicated"
    assert (config.data.heap, config.data.resources.limits.memory) == ("4Gi", "8Gi")
    assert config.data.resources.requests.memory == config.data.resources.limits.memory
    assert (config.masters.heap, config.masters.resources.limits.memory) == ("1Gi", "2Gi")
    assert (config.allow_mmap, config.http_tls, config.kibana.enabled) == (False, True, False)
    assert config.clients == {}


def test_clients_name_their_access_and_indices():
    config = parse(
        clients={
            "loader": {"privileges": "write", "indices": ["clicks-*"]},
            "analytics": {"privileges": "read", "indices": ["clicks-*", "sessions"]},
        }
    )
    assert config.clients["analytics"].indices == ("clicks-*", "sessions")


@pytest.mark.parametrize(
    ("elasticsearch", "lines"),
    [
        (
            {"data": {**NODES, "heap": "3Gi"}},
            [
                "data-pipeline:pipelines.clicks.elasticsearch.data: heap 3Gi is more than half "
                "of resources.limits.memory 4Gi (Elasticsearch needs the rest for the "
                "filesystem cache)"
            ],
        ),
        (
            {
                "data": {
                    **NODES,
                    "heap": "30Gi",
                    "resources": {
                        "requests": {"cpu": "8", "memory": "64Gi"},
                        "limits": {"cpu": "8", "memory": "64Gi"},
                    },
                }
            },
            [
                "data-pipeline:pipelines.clicks.elasticsearch.data: heap 30Gi is above 26Gi "
                "(the JVM loses compressed object pointers: a larger heap holds less)"
            ],
        ),
        (
            {"masters": {**NODES, "heap": "1.5G"}},
            [
                "data-pipeline:pipelines.clicks.elasticsearch.masters: heap 1.5G is not a whole "
                "number of Mi (use e.g. 1536Mi)"
            ],
        ),
        (
            {"masters": {**NODES, "count": 2}},
            [
                "data-pipeline:pipelines.clicks.elasticsearch.masters.count: 2 is not allowed "
                "(an odd number of master-eligible nodes: 2 tolerate no more failures than 1)"
            ],
        ),
        (
            {"nodeSets": "combined", "data": {**NODES, "count": 4}},
            [
                "data-pipeline:pipelines.clicks.elasticsearch.data.count: 4 is not allowed "
                "(an odd number of master-eligible nodes: 4 tolerate no more failures than 3)"
            ],
        ),
        (
            {"data": {**NODES, "count": 0}},
            ["data-pipeline:pipelines.clicks.elasticsearch.data.count: 0 is not allowed (1..99)"],
        ),
        (
            {"nodeSets": "single"},
            [
                'data-pipeline:pipelines.clicks.elasticsearch.nodeSets: "single" is not allowed '
                "(one of 'dedicated' or 'combined')"
            ],
        ),
        (
            {"version": "7.17.0"},
            [
                'data-pipeline:pipelines.clicks.elasticsearch.version: "7.17.0" is not allowed '
                "(an Elasticsearch 8 or 9 version such as 9.4.3)"
            ],
        ),
        (
            {"clients": {"loader": {"privileges": "all", "indices": ["Clicks"]}}},
            [
                'data-pipeline:pipelines.clicks.elasticsearch.clients.loader.privileges: "all" '
                "is not allowed (one of 'write' or 'read')",
                'data-pipeline:pipelines.clicks.elasticsearch.clients.loader.indices[0]: "Clicks" '
                "is not allowed (an index name or pattern: lowercase letters, digits, '.', '_', "
                "'-' and '*', starting with a letter, a digit or '*')",
            ],
        ),
        (
            {"clients": {"loader": {"privileges": "write", "indices": []}}},
            [
                "data-pipeline:pipelines.clicks.elasticsearch.clients.loader.indices: an empty "
                "list is not allowed (at least one entry)"
            ],
        ),
        (
            {"kibana": {"enabled": True, "replicas": 2}},
            [
                "data-pipeline:pipelines.clicks.elasticsearch.kibana.replicas: unknown key "
                "(allowed here: count, enabled, resources)"
            ],
        ),
    ],
)
def test_each_bad_value_is_named_with_what_is_allowed(elasticsearch: dict, lines: list[str]):
    assert error_of(**elasticsearch) == lines


def test_a_storage_role_the_pipeline_does_not_claim_is_a_problem_for_the_stack():
    config = parse(masters={**NODES, "storageRole": "small"})
    assert list(elasticsearch_problems("clicks", config, {"replicated": "1Ti"})) == [
        Problem(
            ("pipelines", "clicks", "elasticsearch", "masters", "storageRole"),
            "small",
            "a role pipelines.clicks.storage claims: replicated",
        )
    ]
    combined = parse(nodeSets="combined", masters={**NODES, "storageRole": "small"})
    # Combined nodes have no masters of their own: their role is not in use.
    assert list(elasticsearch_problems("clicks", combined, {"replicated": "1Ti"})) == []
