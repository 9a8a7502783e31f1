"""Where built-in kinds claim volumes: PersistentVolumeClaims, StatefulSet claim templates and
the generic ephemeral volumes of every pod spec, in whatever kind runs the pods."""

from __future__ import annotations

from collections.abc import Iterator

from components.stork import stateful_set_claim
from policies.capacity import VolumeReader, Volumes
from policies.catalog import ClassReader, ClassReference
from policies.claim_names import ClaimNamer, ClaimNames
from policies.record import Field, Kind, Resource

PVC = Kind("core", "PersistentVolumeClaim")
STATEFUL_SET = Kind("apps", "StatefulSet")
# The pre-1.6 way to name a class; Kubernetes still honours it, before storageClassName.
BETA_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"

_TEMPLATE_POD_SPEC = ("spec", "template", "spec")
POD_SPEC_PATHS: dict[Kind, tuple[str, ...]] = {
    Kind("core", "Pod"): ("spec",),
    Kind("core", "ReplicationController"): _TEMPLATE_POD_SPEC,
    Kind("apps", "Deployment"): _TEMPLATE_POD_SPEC,
    Kind("apps", "ReplicaSet"): _TEMPLATE_POD_SPEC,
    Kind("apps", "DaemonSet"): _TEMPLATE_POD_SPEC,
    STATEFUL_SET: _TEMPLATE_POD_SPEC,
    Kind("batch", "Job"): _TEMPLATE_POD_SPEC,
    Kind("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template", "spec"),
}
"""Where each kind that runs pods keeps the pod spec."""


def claim_classes(claim: Field) -> list[ClassReference]:
    """The classes a PVC or a claim template (``metadata`` and ``spec``) names: the annotation
    and the field when set, else the unset field."""
    annotation = ClassReference.at(claim.at("metadata", "annotations", BETA_CLASS_ANNOTATION))
    field = ClassReference.at(claim.at("spec", "storageClassName"))
    return [ref for ref in (annotation, field) if ref.class_name is not None] or [field]


def pod_spec_classes(pod_spec: Field) -> Iterator[ClassReference]:
    """Classes of a pod spec's generic ephemeral volumes: each pod gets a claim from the
    template."""
    for volume in pod_spec.at("volumes").items():
        if volume.at("ephemeral").object() is not None:
            yield from claim_classes(volume.at("ephemeral", "volumeClaimTemplate").required())


def _pvc_classes(resource: Resource) -> list[ClassReference]:
    return claim_classes(resource.at())


def _pod_classes(path: tuple[str, ...]) -> ClassReader:
    def read(resource: Resource) -> Iterator[ClassReference]:
        return pod_spec_classes(resource.at(*path))

    return read


def _stateful_set_classes(resource: Resource) -> Iterator[ClassReference]:
    yield from pod_spec_classes(resource.at(*POD_SPEC_PATHS[STATEFUL_SET]))
    for template in resource.at("spec", "volumeClaimTemplates").items():
        yield from claim_classes(template)


CLASS_READERS: dict[Kind, ClassReader] = {
    PVC: _pvc_classes,
    **{kind: _pod_classes(path) for kind, path in POD_SPEC_PATHS.items()},
    # A StatefulSet also claims a volume per pod from each of its claim templates.
    STATEFUL_SET: _stateful_set_classes,
}


def claim_class(claim: Field) -> Field:
    """The field that decides the class of a PVC or claim template: the annotation when set
    (it wins, as in Kubernetes), else ``spec.storageClassName``."""
    named = claim.at("metadata", "annotations", BETA_CLASS_ANNOTATION)
    return named if named.text() is not None else claim.at("spec", "storageClassName")


def claim_volumes(claim: Field, count: int) -> Volumes:
    """The volumes of a PVC or claim template, on the class :func:`claim_class` reads."""
    return Volumes.at(
        claim_class(claim), claim.at("spec", "resources", "requests", "storage"), count
    )


def stateful_set_replicas(resource: Resource) -> int:
    """A StatefulSet's pods: one when replicas is unset."""
    replicas = resource.at("spec", "replicas").number()
    return 1 if replicas is None else int(replicas)


def _pvc_volumes(resource: Resource) -> list[Volumes]:
    return [claim_volumes(resource.at(), 1)]


def _stateful_set_volumes(resource: Resource) -> list[Volumes]:
    # Each pod claims one volume per template.
    count = stateful_set_replicas(resource)
    return [
        claim_volumes(template, count)
        for template in resource.at("spec", "volumeClaimTemplates").items()
    ]


VOLUME_READERS: dict[Kind, VolumeReader] = {
    PVC: _pvc_volumes,
    STATEFUL_SET: _stateful_set_volumes,
}
"""The volumes a kind claims for sure. Ephemeral volumes of Deployments, Jobs and the like come
and go with their pods, so no fixed count is planned for them."""


def _pvc_claim_names(resource: Resource) -> list[ClaimNames]:
    name = resource.at("metadata", "name").required_text()
    return [ClaimNames("metadata.name", claim_class(resource.at()).text(), (name,))]


def _stateful_set_claim_names(resource: Resource) -> list[ClaimNames]:
    stateful_set = resource.at("metadata", "name").required_text()
    pods = range(stateful_set_replicas(resource))
    groups = []
    for template in resource.at("spec", "volumeClaimTemplates").items():
        name = template.at("metadata", "name").required_text()
        claims = tuple(stateful_set_claim(name, stateful_set, pod) for pod in pods)
        groups.append(ClaimNames(template.path, claim_class(template).text(), claims))
    return groups


CLAIM_NAMERS: dict[Kind, ClaimNamer] = {
    PVC: _pvc_claim_names,
    STATEFUL_SET: _stateful_set_claim_names,
}
"""The claims of built-in kinds that outlive their pods (ephemeral volumes do not)."""
