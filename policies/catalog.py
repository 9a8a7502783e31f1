"""The catalog rule: every volume a stack claims names one of the stack's own StorageClasses (or
a class its policy config approves), never none.

Which fields of which kinds name a class is not known here: each rule module that knows a kind
contributes a :data:`ClassReader` for it (built-in claims in ``policies.claims``, Strimzi in
``policies.strimzi``, ECK in ``policies.eck``) and the pack hands them all to
:func:`approved_classes_policy`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from policies.engine import ReportStack, Stack, StackPolicy, list_setting
from policies.objects import describe
from policies.record import Field, InputError, Kind, Resource
from policies.storage_classes import STORAGE_CLASS

POLICY_NAME = "storage-approved-classes"


class ClassReference(NamedTuple):
    """One volume's choice of class, and where in the resource it is made."""

    where: str
    """The field that names the class, or that would name it when none is named."""
    class_name: str | None
    """None: no class is named, so the volume falls to the cluster's default class."""

    @classmethod
    def at(cls, field: Field) -> ClassReference:
        """The class a field names (None when it is unset)."""
        return cls(field.path, field.text())


ClassReader = Callable[[Resource], Iterable[ClassReference]]
"""Every class reference in one resource of the kind the reader is registered for."""


def approved_classes_policy(readers: Mapping[Kind, ClassReader]) -> StackPolicy:
    """The catalog policy over the kinds ``readers`` know how to read."""

    def check(stack: Stack, settings: Mapping[str, Any], report: ReportStack) -> None:
        _check_catalog(readers, stack, settings, report)

    return StackPolicy(
        name=POLICY_NAME,
        description="Every volume claim (PVCs, claim templates, ephemeral volumes of any pod, "
        "operator storage) names a class of the stack's catalog, never none.",
        check=check,
        config={
            "approvedClasses": list_setting(
                {"type": "string"}, [], "Classes managed outside this stack that volumes may use."
            )
        },
    )


def _check_catalog(
    readers: Mapping[Kind, ClassReader],
    stack: Stack,
    settings: Mapping[str, Any],
    report: ReportStack,
) -> None:
    catalog = {
        name
        for resource in stack.resources
        if resource.kind == STORAGE_CLASS and (name := resource.at("metadata", "name").text())
    }
    approved = catalog | set(settings["approvedClasses"])
    if approved:
        choices = f"use one of: {', '.join(sorted(approved))}"
    else:
        choices = "the stack defines no StorageClass and approvedClasses names none"
    for resource in stack.resources:
        reader = readers.get(resource.kind)
        if reader is None:
            continue
        for where, class_name in reader(resource):
            if class_name is None:
                report(
                    f"{describe(resource)} sets no {where}, so it falls to the cluster's "
                    f"default class; {choices}",
                    resource,
                )
            elif class_name == "":
                report(
                    f'{describe(resource)} sets {where} to "", which asks for no class: it binds '
                    f"only volumes made beforehand; {choices}",
                    resource,
                )
            elif class_name not in approved:
                if not stack.complete and not settings["approvedClasses"]:
                    raise InputError(_cannot_see_classes(resource, class_name, where))
                report(
                    f"{describe(resource)} uses class {class_name!r} at {where}, which is not "
                    f"in the stack's catalog; {choices}",
                    resource,
                )


def _cannot_see_classes(resource: Resource, class_name: str, where: str) -> str:
    return (
        f"{POLICY_NAME} cannot judge {resource.label}: it names class {class_name!r} at "
        f"{where}, and the preview leaves out the resources it does not change, which may "
        "include that class. Run `pulumi preview --json --show-sames`, or list the classes "
        f"managed outside the stack in the policy config's {POLICY_NAME}.approvedClasses."
    )
