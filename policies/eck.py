"""Elasticsearch rules (ECK): data volumes on classes of an allowed role, enough data nodes and
a master quorum that survives a loss, and TLS on the HTTP layer.

Also where ECK's Elasticsearch resource claims volumes, for the catalog policy and the capacity
plan: each nodeSet's claim templates, the ephemeral volumes of its pod template, and the data
claim ECK adds when the nodeSet has none.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from components.stork import ECK_DATA_VOLUME as DATA_VOLUME
from components.stork import eck_claim
from policies.capacity import VolumeReader, Volumes
from policies.catalog import ClassReader, ClassReference
from policies.claim_names import ClaimNamer, ClaimNames
from policies.claims import claim_class, claim_classes, claim_volumes, pod_spec_classes
from policies.engine import ReportResource, ReportStack, Stack
from policies.objects import class_problems, describe
from policies.record import Field, Kind, Resource
from policies.storage_classes import STORAGE_CLASS

ELASTICSEARCH = Kind("elasticsearch.k8s.elastic.co", "Elasticsearch")
# What ECK claims for a nodeSet that declares no elasticsearch-data volume of its own.
DEFAULT_DATA_VOLUME_BYTES = 2**30
MASTER_ROLE = "master"
# "data" and its tiers (data_content, data_hot, data_warm, data_cold, data_frozen) hold shards.
DATA_ROLE = "data"
DATA_TIER_PREFIX = "data_"


def _node_sets(resource: Resource) -> list[Field]:
    return resource.at("spec", "nodeSets").required().items()


def _adds_default_claim(node_set: Field) -> bool:
    """Whether ECK adds its own data claim: no claim template nor pod volume holds the data."""
    templates = node_set.at("volumeClaimTemplates").items()
    volumes = node_set.at("podTemplate", "spec", "volumes").items()
    names = {t.at("metadata", "name").text() for t in templates}
    names |= {v.at("name").text() for v in volumes}
    return DATA_VOLUME not in names


def _default_claim_place(node_set: Field) -> str:
    return f"{node_set.at('volumeClaimTemplates').path} entry named {DATA_VOLUME}"


def _node_count(node_set: Field) -> int:
    """A nodeSet's count: ECK runs none when it is unset. Pulumi's wire format holds only
    doubles, so a whole float is a count too."""
    return node_set.at("count").whole_number(minimum=0) or 0


def _elasticsearch_classes(resource: Resource) -> Iterator[ClassReference]:
    for node_set in _node_sets(resource):
        for template in node_set.at("volumeClaimTemplates").items():
            yield from claim_classes(template)
        yield from pod_spec_classes(node_set.at("podTemplate", "spec"))
        if _adds_default_claim(node_set):
            # ECK's own claim names no class.
            yield ClassReference(_default_claim_place(node_set), None)


CLASS_READERS: dict[Kind, ClassReader] = {ELASTICSEARCH: _elasticsearch_classes}


def _elasticsearch_volumes(resource: Resource) -> Iterator[Volumes]:
    """Each nodeSet's claims: every claim template once per node, and ECK's 1Gi data claim on
    the default class where the nodeSet declares none."""
    for node_set in _node_sets(resource):
        count = _node_count(node_set)
        for template in node_set.at("volumeClaimTemplates").items():
            yield claim_volumes(template, count)
        if _adds_default_claim(node_set):
            place = _default_claim_place(node_set)
            yield Volumes(place, None, DEFAULT_DATA_VOLUME_BYTES, count)


VOLUME_READERS: dict[Kind, VolumeReader] = {ELASTICSEARCH: _elasticsearch_volumes}


def _elasticsearch_claim_names(resource: Resource) -> Iterator[ClaimNames]:
    """Each nodeSet's claims, ``<template>-<cluster>-es-<nodeSet>-<ordinal>``."""
    cluster = resource.at("metadata", "name").required_text()
    for node_set in _node_sets(resource):
        name = node_set.at("name").required_text()
        nodes = range(_node_count(node_set))
        for template in node_set.at("volumeClaimTemplates").items():
            claim = template.at("metadata", "name").required_text()
            yield ClaimNames(
                template.path,
                claim_class(template).text(),
                tuple(eck_claim(cluster, name, node, claim) for node in nodes),
            )
        if _adds_default_claim(node_set):
            names = tuple(eck_claim(cluster, name, node, DATA_VOLUME) for node in nodes)
            yield ClaimNames(_default_claim_place(node_set), None, names)


CLAIM_NAMERS: dict[Kind, ClaimNamer] = {ELASTICSEARCH: _elasticsearch_claim_names}


def check_storage(stack: Stack, settings: Mapping[str, Any], report: ReportStack) -> None:
    """Claim templates of every nodeSet on a class of an allowed role that is not sharedv4.
    Classes outside the stack's catalog, and claims that name none, are left to the catalog
    policy, which names them."""
    classes = {
        name: resource
        for resource in stack.resources
        if resource.kind == STORAGE_CLASS and (name := resource.at("metadata", "name").text())
    }
    allowed_roles = settings["allowedRoles"]
    for resource in stack.resources:
        if resource.kind != ELASTICSEARCH:
            continue
        for node_set in _node_sets(resource):
            name = node_set.at("name").required_text()
            for template in node_set.at("volumeClaimTemplates").items():
                for where, class_name in claim_classes(template):
                    storage_class = classes.get(class_name or "")
                    if storage_class is None:
                        continue
                    for problem in class_problems(
                        storage_class,
                        allowed_roles,
                        "Elasticsearch",
                        "each Elasticsearch node needs a block volume of its own for its indices",
                    ):
                        report(
                            f'{describe(resource)} nodeSet "{name}" has {where} '
                            f"{class_name!r}, {problem}",
                            resource,
                        )


def _node_roles(node_set: Field) -> set[str] | None:
    """The roles a nodeSet's config gives its nodes, as ``node.roles`` or nested under
    ``node``, as a list or a comma-separated string; None when unset: every role."""
    config = node_set.at("config")
    roles = config.at("node.roles")
    if roles.value is None:
        roles = config.at("node", "roles")
    if isinstance(roles.value, str):
        return {part.strip() for part in roles.required_text().split(",") if part.strip()}
    if roles.value is None:
        return None
    return {item.required_text() for item in roles.items()}


def _holds_data(roles: set[str] | None) -> bool:
    return roles is None or any(r == DATA_ROLE or r.startswith(DATA_TIER_PREFIX) for r in roles)


def _master_eligible(roles: set[str] | None) -> bool:
    return roles is None or MASTER_ROLE in roles


def _nodes(counts: list[tuple[str, int]], noun: str, node_role: str) -> str:
    """``3 data nodes (nodeSet "data": 3)``: a total and the nodeSets it is made of."""
    total = sum(count for _, count in counts)
    nouns = noun if total == 1 else f"{noun}s"
    if not counts:
        return f"{total} {nouns} (no nodeSet has the {node_role} role)"
    parts = ", ".join(f'nodeSet "{name}": {count}' for name, count in counts)
    return f"{total} {nouns} ({parts})"


def check_topology(resource: Resource, settings: Mapping[str, Any], report: ReportResource) -> None:
    """Elasticsearch never puts a replica on its primary's node, so one data node keeps no
    replica at all; the master is elected by a majority of master-eligible nodes, so losing one
    of them must leave a majority."""
    data: list[tuple[str, int]] = []
    masters: list[tuple[str, int]] = []
    for node_set in _node_sets(resource):
        name = node_set.at("name").required_text()
        count = _node_count(node_set)
        roles = _node_roles(node_set)
        if _holds_data(roles):
            data.append((name, count))
        if _master_eligible(roles):
            masters.append((name, count))
    least_data = settings["minimumDataNodes"]
    if sum(count for _, count in data) < least_data:
        shown = _nodes(data, "data node", DATA_ROLE)
        report(
            f"{describe(resource)} has {shown}; run at least {least_data}, so that every shard "
            "keeps a replica on another node than its primary"
        )
    least_masters = settings["minimumMasterNodes"]
    master_count = sum(count for _, count in masters)
    if master_count < least_masters or master_count % 2 == 0:
        shown = _nodes(masters, "master-eligible node", MASTER_ROLE)
        report(
            f"{describe(resource)} has {shown}; run an odd number, at least {least_masters}: a "
            "majority of them elects the master, and an even number survives no more losses "
            "than one fewer"
        )


def check_http_tls(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    """ECK serves HTTPS with a certificate of its own unless told not to; a certificate Secret
    of the user's keeps HTTPS on even then."""
    tls = resource.at("spec", "http", "tls")
    disabled = tls.at("selfSignedCertificate", "disabled")
    own_certificate = tls.at("certificate", "secretName")
    if disabled.flag() and not own_certificate.text():
        report(
            f"{describe(resource)} sets {disabled.path}: true and no {own_certificate.path}, so "
            "its HTTP layer serves plain HTTP and clients send credentials and documents in "
            f"clear; set it false, or name a Secret with a certificate in {own_certificate.path}"
        )
