"""Where ECK's Elasticsearch resource claims volumes: each nodeSet's claim templates, the
ephemeral volumes of its pod template, and the data claim ECK adds when the nodeSet has none."""

from __future__ import annotations

from collections.abc import Iterator

from policies.catalog import ClassReader, ClassReference
from policies.claims import claim_classes, pod_spec_classes
from policies.record import Kind, Resource

ELASTICSEARCH = Kind("elasticsearch.k8s.elastic.co", "Elasticsearch")
DATA_VOLUME = "elasticsearch-data"


def _elasticsearch_classes(resource: Resource) -> Iterator[ClassReference]:
    for node_set in resource.at("spec", "nodeSets").required().items():
        templates = node_set.at("volumeClaimTemplates")
        pod_spec = node_set.at("podTemplate", "spec")
        volume_names = {t.at("metadata", "name").text() for t in templates.items()}
        volume_names |= {v.at("name").text() for v in pod_spec.at("volumes").items()}
        for template in templates.items():
            yield from claim_classes(template)
        yield from pod_spec_classes(pod_spec)
        if DATA_VOLUME not in volume_names:
            # ECK then adds a 1Gi elasticsearch-data claim of its own, which names no class.
            yield ClassReference(f"{templates.path} entry named {DATA_VOLUME}", None)


CLASS_READERS: dict[Kind, ClassReader] = {ELASTICSEARCH: _elasticsearch_classes}
