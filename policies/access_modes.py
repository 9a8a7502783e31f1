"""The access-mode rule: a claim that pods on several nodes share (ReadWriteMany, ReadOnlyMany)
names a sharedv4 class, and a sharedv4 class serves only such claims.

Portworx serves a volume to more than one node only as a sharedv4 volume, exported over NFS from
the node that holds it; on any other class a many-node claim is never provisioned and its pods
stay Pending. The other way round, a single-node claim on a sharedv4 class works, but every such
volume runs an NFS export and its traffic that no second node ever mounts.

Claims are read wherever the stack's kinds make them: PersistentVolumeClaims, StatefulSet and
Elasticsearch claim templates, and the generic ephemeral volumes of every pod spec and of
spark-operator's applications.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from policies.claims import POD_SPEC_PATHS, PVC, STATEFUL_SET, claim_classes
from policies.eck import ELASTICSEARCH
from policies.engine import ReportStack, Stack
from policies.objects import SHAREDV4_PARAMETER, describe
from policies.record import Field, Kind, Resource
from policies.spark_operator import SPEC_PATHS, application_spec
from policies.storage_classes import STORAGE_CLASS

POLICY_NAME = "storage-access-modes"
MANY_NODE_MODES = ("ReadWriteMany", "ReadOnlyMany")

ClaimReader = Callable[[Resource], Iterator[Field]]
"""Every claim (an object with ``metadata`` and ``spec``) one resource of the kind makes."""


def _ephemeral_claims(pod_spec: Field) -> Iterator[Field]:
    for volume in pod_spec.at("volumes").items():
        if volume.at("ephemeral").object() is not None:
            yield volume.at("ephemeral", "volumeClaimTemplate").required()


def _pvc_claims(resource: Resource) -> Iterator[Field]:
    yield resource.at()


def _pod_claims(path: tuple[str, ...]) -> ClaimReader:
    def read(resource: Resource) -> Iterator[Field]:
        return _ephemeral_claims(resource.at(*path))

    return read


def _stateful_set_claims(resource: Resource) -> Iterator[Field]:
    yield from _ephemeral_claims(resource.at(*POD_SPEC_PATHS[STATEFUL_SET]))
    yield from resource.at("spec", "volumeClaimTemplates").items()


def _elasticsearch_claims(resource: Resource) -> Iterator[Field]:
    for node_set in resource.at("spec", "nodeSets").required().items():
        yield from node_set.at("volumeClaimTemplates").items()
        yield from _ephemeral_claims(node_set.at("podTemplate", "spec"))


def _spark_claims(resource: Resource) -> Iterator[Field]:
    return _ephemeral_claims(application_spec(resource))


CLAIM_READERS: dict[Kind, ClaimReader] = {
    PVC: _pvc_claims,
    **{kind: _pod_claims(path) for kind, path in POD_SPEC_PATHS.items()},
    STATEFUL_SET: _stateful_set_claims,
    ELASTICSEARCH: _elasticsearch_claims,
    **{kind: _spark_claims for kind in SPEC_PATHS},
}


def _is_sharedv4(storage_class: Resource) -> bool:
    value = storage_class.at("parameters", SHAREDV4_PARAMETER).text()
    return value is not None and value.lower() == "true"


def check_access_modes(stack: Stack, _settings: Mapping[str, Any], report: ReportStack) -> None:
    """Each claim against the class it names. Classes outside the stack's catalog, and claims
    that name none, are left to the catalog policy, which names them; a class is read only
    when a claim names it."""
    classes = {
        name: resource
        for resource in stack.resources
        if resource.kind == STORAGE_CLASS and (name := resource.at("metadata", "name").text())
    }
    for resource in stack.resources:
        reader = CLAIM_READERS.get(resource.kind)
        if reader is None:
            continue
        for claim in reader(resource):
            modes_field = claim.at("spec", "accessModes")
            modes = [mode.required_text() for mode in modes_field.items()]
            many = [mode for mode in modes if mode in MANY_NODE_MODES]
            for where, class_name in claim_classes(claim):
                storage_class = classes.get(class_name or "")
                if storage_class is None or not modes:
                    continue
                sharedv4 = _is_sharedv4(storage_class)
                if many and not sharedv4:
                    report(
                        f"{describe(resource)} asks for {', '.join(many)} at {modes_field.path} "
                        f"on class {class_name!r} ({where}), which is not sharedv4: Portworx "
                        "serves a volume to several nodes only as a sharedv4 volume, so the "
                        "claim is never provisioned; use a sharedv4 class, or ReadWriteOnce",
                        resource,
                    )
                elif sharedv4 and not many:
                    report(
                        f"{describe(resource)} asks for only {', '.join(modes)} at "
                        f"{modes_field.path} on class {class_name!r} ({where}), a sharedv4 "
                        "class: each volume is exported over NFS to no other node; use a class "
                        "that is not sharedv4, or ReadWriteMany for a volume pods share",
                        resource,
                    )
