"""Whatever a preview holds, the evaluator answers with an exit code, never a traceback."""

from __future__ import annotations

import copy
from typing import Any

from tests.policies.helpers import json_paths, run_evaluate
from tests.policies.test_evaluate import (
    PVC,
    SC,
    UNKNOWN,
    preview_document,
    pvc_props,
    step,
    storage_class_props,
)

EPHEMERAL = {"volumeClaimTemplate": {"spec": {"storageClassName": "px-a"}}}
POD_SPEC = {"containers": [], "volumes": [{"name": "cache", "ephemeral": EPHEMERAL}]}
# A role Kafka volumes may use, so that the node pool's class passes kafka-storage.
REPLICATED_CLASS = {
    **storage_class_props("px-a"),
    "metadata": {"name": "px-a", "labels": {"data-pipeline.io/storage-role": "replicated"}},
}
GOOD_PREVIEW = preview_document(
    step("create", SC, REPLICATED_CLASS),
    step(
        "create",
        "kubernetes:snapshot.storage.k8s.io/v1:VolumeSnapshotClass",
        {"metadata": {"name": "snaps"}, "driver": "pxd.portworx.com", "deletionPolicy": "Retain"},
    ),
    step("create", PVC, pvc_props("data", "px-a")),
    step(
        "create",
        "kubernetes:batch/v1:CronJob",
        {
            "metadata": {"name": "compact"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": POD_SPEC}}}},
        },
    ),
    step(
        "create",
        "kubernetes:kafka.strimzi.io/v1:KafkaNodePool",
        {
            "metadata": {"name": "brokers"},
            "spec": {
                "storage": {
                    "type": "jbod",
                    "volumes": [{"type": "persistent-claim", "class": "px-a"}],
                }
            },
        },
    ),
    step(
        "create",
        "kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch",
        {
            "metadata": {"name": "logs"},
            "spec": {
                "nodeSets": [
                    {
                        "name": "all",
                        # Three nodes of every role: a quorum of masters and data nodes to spare.
                        "count": 3,
                        "volumeClaimTemplates": [
                            {
                                "metadata": {"name": "elasticsearch-data"},
                                "spec": {"storageClassName": "px-a"},
                            }
                        ],
                    }
                ]
            },
        },
    ),
)


PATHS = json_paths(GOOD_PREVIEW)[1:]
# A value of every JSON type, and the ones Pulumi writes for values it does not show.
REPLACEMENTS = [None, True, 3, 2.5, "x", [], ["x"], {}, {"x": 1}, "[secret]", UNKNOWN]


def _replaced(document: Any, path: tuple, value: Any) -> Any:
    changed = copy.deepcopy(document)
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return changed


def _evaluate(document: Any) -> tuple[int, str]:
    code, _, err = run_evaluate(document, "preview.json")
    return code, err


def test_the_unchanged_preview_passes():
    assert _evaluate(GOOD_PREVIEW) == (0, "")


def test_any_value_anywhere_gives_an_exit_code_and_named_errors():
    # Every field of every kind, replaced by a value of every type: exhaustive, not sampled,
    # so that a reader that trusts a shape cannot hide between examples.
    for path in PATHS:
        for value in REPLACEMENTS:
            code, err = _evaluate(_replaced(GOOD_PREVIEW, path, value))
            assert code in (0, 1, 2), (path, value)
            assert (code == 2) == bool(err), (path, value, err)
            assert all(line.startswith("error: ") for line in err.splitlines()), (path, value)
