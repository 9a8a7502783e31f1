"""Protection rules (Stork): every stateful claim has cloud snapshots that keep enough copies, and
no schedule or backup deletes what it made when it goes.

Which claims a stack makes is known by the rule module of each kind (a :data:`ClaimNamer` per
kind: built-in PVCs and StatefulSet claim templates, Strimzi node pools, ECK nodeSets); the pack
hands them to :func:`snapshot_coverage_policy`. A claim is covered by a ``VolumeSnapshotSchedule``
in its namespace that names it, is not suspended, asks for cloud snapshots
(``portworx/snapshot-type: cloud``) and follows a ``SchedulePolicy`` of the stack each of whose
schedules keeps at least the minimum number of snapshots.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from components.labels import ROLE_LABEL
from components.stork import CLOUD_SNAPSHOT, SNAPSHOT_TYPE_ANNOTATION
from policies.claim_names import ClaimNamer, ClaimNames
from policies.engine import ReportResource, ReportStack, Stack, StackPolicy, list_setting
from policies.objects import describe
from policies.record import Field, Kind, Resource
from policies.storage_classes import STORAGE_CLASS

GROUP = "stork.libopenstorage.org"
SCHEDULE_POLICY = Kind(GROUP, "SchedulePolicy")
VOLUME_SNAPSHOT_SCHEDULE = Kind(GROUP, "VolumeSnapshotSchedule")
APPLICATION_BACKUP_SCHEDULE = Kind(GROUP, "ApplicationBackupSchedule")
APPLICATION_BACKUP = Kind(GROUP, "ApplicationBackup")
COVERAGE_POLICY = "storage-cloud-snapshot-coverage"
RECLAIM_POLICY = "snapshot-reclaim-retain"
_SCHEDULES = ("interval", "daily", "weekly", "monthly")


def snapshot_coverage_policy(namers: Mapping[Kind, ClaimNamer]) -> StackPolicy:
    """The coverage policy over the kinds ``namers`` know how to read."""

    def check(stack: Stack, settings: Mapping[str, Any], report: ReportStack) -> None:
        if not stack.complete:
            return  # a schedule left out of the input would look like a claim left uncovered
        _check_coverage(namers, stack, settings, report)

    return StackPolicy(
        name=COVERAGE_POLICY,
        description="Every claim of a stateful element (PVCs, StatefulSet claim templates, "
        "Strimzi node pools, Elasticsearch nodeSets) has a Stork VolumeSnapshotSchedule of cloud "
        "snapshots whose schedule policy keeps at least the minimum number of them.",
        check=check,
        # Stacks without Stork protection exist (and previews of single elements): each stack's
        # pack config makes it mandatory where protection is deployed.
        level="advisory",
        config={
            "minimumRetention": {
                "type": "integer",
                "minimum": 1,
                "default": 7,
                "description": "Fewest snapshots each schedule of a covering policy keeps.",
            },
            "exemptRoles": list_setting(
                {"type": "string"},
                ["scratch"],
                "Storage roles whose claims hold nothing worth a snapshot.",
            ),
        },
    )


def _of_kind(stack: Stack, kind: Kind) -> Iterator[Resource]:
    return (resource for resource in stack.resources if resource.kind == kind)


def _namespace(resource: Resource) -> str:
    return resource.at("metadata", "namespace").text() or "default"


def _check_coverage(
    namers: Mapping[Kind, ClaimNamer],
    stack: Stack,
    settings: Mapping[str, Any],
    report: ReportStack,
) -> None:
    roles = {
        name: resource.at("metadata", "labels", ROLE_LABEL).text()
        for resource in _of_kind(stack, STORAGE_CLASS)
        if (name := resource.at("metadata", "name").text())
    }
    schedules: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    for schedule in _of_kind(stack, VOLUME_SNAPSHOT_SCHEDULE):
        claim = schedule.at("spec", "template", "spec", "persistentVolumeClaimName")
        schedules[(_namespace(schedule), claim.required_text())].append(schedule)
    policies = {
        resource.at("metadata", "name").required_text(): resource
        for resource in _of_kind(stack, SCHEDULE_POLICY)
    }
    judged: dict[str | None, str | None] = {}  # schedule policy -> its problem, judged once

    def problem_of(schedule: Resource) -> str | None:
        name = schedule.at("spec", "schedulePolicyName").text() or None
        if name not in judged:
            judged[name] = _policy_problem(name, policies, settings["minimumRetention"])
        return judged[name]

    exempt = set(settings["exemptRoles"])
    for resource in stack.resources:
        namer = namers.get(resource.kind) if resource.kind else None
        if namer is None:
            continue
        namespace = _namespace(resource)
        for claims in namer(resource):
            if roles.get(claims.class_name or "") in exempt:
                continue
            for message in _claim_problems(claims, namespace, schedules, problem_of):
                report(f"{describe(resource)}: {message}", resource)


def _claim_problems(
    claims: ClaimNames,
    namespace: str,
    schedules: Mapping[tuple[str, str], list[Resource]],
    problem_of: Callable[[Resource], str | None],
) -> Iterator[str]:
    if claims.pattern is not None:
        pattern = re.compile(claims.pattern)
        covering = {
            claim: found
            for (where, claim), found in schedules.items()
            if where == namespace and pattern.fullmatch(claim)
        }
        if len(covering) < claims.count:
            yield (
                f"{claims.count} claims of {claims.where} (names matching {claims.pattern}, "
                f"in namespace {namespace}) have {len(covering)} VolumeSnapshotSchedules; give "
                "each claim one of cloud snapshots"
            )
        names = tuple(sorted(covering))
    else:
        names = claims.names
    for claim in names:
        found = schedules.get((namespace, claim), [])
        problems = [_schedule_problem(schedule, problem_of) for schedule in found]
        if not found:
            yield (
                f"claim {namespace}/{claim} ({claims.where}) has no VolumeSnapshotSchedule: add "
                "one naming it in spec.template.spec.persistentVolumeClaimName, annotated "
                f"{SNAPSHOT_TYPE_ANNOTATION}: {CLOUD_SNAPSHOT}"
            )
        elif all(problems):
            yield f"claim {namespace}/{claim} ({claims.where}) is not covered: " + "; ".join(
                str(problem) for problem in problems
            )


def _schedule_problem(
    schedule: Resource, problem_of: Callable[[Resource], str | None]
) -> str | None:
    name = schedule.at("metadata", "name").text()
    if schedule.at("spec", "suspend").flag():
        return f"VolumeSnapshotSchedule {name} is suspended"
    kind = schedule.at("metadata", "annotations", SNAPSHOT_TYPE_ANNOTATION).text()
    if kind != CLOUD_SNAPSHOT:
        return (
            f"VolumeSnapshotSchedule {name} takes local snapshots (no "
            f"{SNAPSHOT_TYPE_ANNOTATION}: {CLOUD_SNAPSHOT} annotation), lost with the cluster"
        )
    problem = problem_of(schedule)
    return None if problem is None else f"VolumeSnapshotSchedule {name} follows {problem}"


def _policy_problem(name: str | None, policies: Mapping[str, Resource], minimum: int) -> str | None:
    if name is None:
        return "no schedule policy (spec.schedulePolicyName is unset)"
    policy = policies.get(name)
    if policy is None:
        return f"schedule policy {name}, which the stack does not define"
    found = False
    for part in _SCHEDULES:
        schedule = policy.at("policy", part)
        if schedule.object() is None:
            continue
        found = True
        retain = schedule.at("retain").whole_number()
        if retain is None:
            return (
                f"schedule policy {name}, whose {part} schedule sets no retain (Stork's "
                "default applies): state how many snapshots it keeps"
            )
        if retain < minimum:
            return (
                f"schedule policy {name}, whose {part} schedule keeps {retain} snapshots, fewer "
                f"than the minimum of {minimum}"
            )
    return None if found else f"schedule policy {name}, which has no schedule"


def check_snapshot_schedule_reclaim(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    # Stork reads an unset reclaimPolicy of a VolumeSnapshotSchedule as Delete.
    _check_reclaim(
        resource.at("spec", "reclaimPolicy"),
        "Delete",
        "deleting the schedule deletes every snapshot it took",
        report,
    )


def check_backup_schedule_reclaim(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    # The schedule's own unset reclaimPolicy is Retain; each backup's (the template's) is Delete.
    _check_reclaim(
        resource.at("spec", "reclaimPolicy"),
        "Retain",
        "deleting the schedule deletes every backup it made",
        report,
    )
    _check_reclaim(
        resource.at("spec", "template", "spec", "reclaimPolicy"),
        "Delete",
        "each backup's data in the archive goes when its ApplicationBackup is deleted (by the "
        "schedule past its retain count, or by hand)",
        report,
    )


def check_backup_reclaim(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    _check_reclaim(
        resource.at("spec", "reclaimPolicy"),
        "Delete",
        "deleting the ApplicationBackup deletes its data in the archive",
        report,
    )


def _check_reclaim(field: Field, unset: str, consequence: str, report: ReportResource) -> None:
    value = field.text()
    if value == "Delete":
        report(f"sets {field.path}: Delete: {consequence}; set it to Retain")
    elif not value and unset == "Delete":
        report(
            f"leaves {field.path} unset, which Stork reads as Delete: {consequence}; set it "
            "to Retain"
        )
