"""How messages name the Kubernetes objects they are about."""

from __future__ import annotations

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
