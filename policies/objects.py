"""How messages name the Kubernetes objects they are about, and what a storage class is for."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from components.labels import ROLE_LABEL
from policies.record import Resource


def role(resource: Resource) -> str | None:
    """The storage role the program labels a class with; None for other objects."""
    return resource.at("metadata", "labels", ROLE_LABEL).text()


def describe(resource: Resource) -> str:
    """``Kind "metadata.name"``, with the storage role when the object has one.

    Falls back to the logical name for objects whose name Pulumi generates at deployment.
    """
    kind = resource.type.rsplit(":", 1)[-1]
    name = resource.at("metadata", "name").text() or resource.name
    object_role = role(resource)
    return f'{kind} "{name}"' + (f" (role {object_role})" if object_role else "")


SHAREDV4_PARAMETER = "sharedv4"


def class_problems(
    storage_class: Resource, allowed_roles: Sequence[str], volumes_of: str, block_need: str
) -> Iterator[str]:
    """Why a StorageClass cannot hold an element's data: a role outside ``allowed_roles``, or
    sharedv4 (NFS-served) volumes where the element needs ``block_need``."""
    class_role = role(storage_class)
    if class_role not in allowed_roles:
        shown = f"of role {class_role}" if class_role else "without a storage role"
        yield (
            f"a class {shown}; {volumes_of} volumes need one of the roles: "
            f"{', '.join(allowed_roles)}"
        )
    sharedv4 = storage_class.at("parameters", SHAREDV4_PARAMETER).text()
    if sharedv4 is not None and sharedv4.lower() == "true":
        yield f"a sharedv4 class, whose volumes are served over NFS; {block_need}"
