"""The ``protection`` section: Stork schedule policies, and which of them cloud snapshots of every
claim and application backups of every pipeline namespace follow.

Schedule policies are Stork's four kinds (interval, daily, weekly, monthly), each with the number
of snapshots or backups it keeps. Times are written as Stork parses them (Go's ``3:04PM``). The
Portworx cloud credential that cloud snapshots upload with is not repeated here: it is
``storage.snapshots.cloud.credentialId``, the one the cloud VolumeSnapshotClass already uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from components.stork import MAX_SNAPSHOTS_PER_VOLUME, WEEKDAYS
from pipeline.config.base import (
    ConfigModel,
    Problem,
    ShortName,
    between,
    config_rule,
    matching,
    no_duplicates,
    raise_problems,
)

Retain = Annotated[int, AfterValidator(between(1, MAX_SNAPSHOTS_PER_VOLUME))]
Clock = Annotated[
    str,
    AfterValidator(
        matching(
            r"(1[0-2]|0?[1-9]):[0-5][0-9](AM|PM)",
            "a time of day as Stork reads it (hours 1-12, minutes, AM or PM), such as 1:30AM",
        )
    ),
]
# Stork also accepts dates 29-31, which some months lack: a backup would then skip a month.
MonthDate = Annotated[int, AfterValidator(between(1, 28))]
# At most a week: a longer cycle is a weekly or monthly schedule.
IntervalMinutes = Annotated[int, AfterValidator(between(1, 10080))]

_MINUTES = {"daily": 24 * 60, "weekly": 7 * 24 * 60, "monthly": 31 * 24 * 60}
_PARTS = ("interval", "daily", "weekly", "monthly")


class IntervalConfig(ConfigModel):
    interval_minutes: IntervalMinutes
    retain: Retain


class DailyConfig(ConfigModel):
    time: Clock
    retain: Retain


class WeeklyConfig(ConfigModel):
    day: Literal[WEEKDAYS]
    time: Clock
    retain: Retain


class MonthlyConfig(ConfigModel):
    date: MonthDate
    time: Clock
    retain: Retain


class SchedulePolicyConfig(ConfigModel):
    """One Stork SchedulePolicy: any of its four schedules, each with its own retention."""

    interval: IntervalConfig | None = None
    daily: DailyConfig | None = None
    weekly: WeeklyConfig | None = None
    monthly: MonthlyConfig | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> SchedulePolicyConfig:
        if not self.retains():
            raise config_rule(f"set at least one of {', '.join(_PARTS)}")
        return self

    def retains(self) -> dict[str, int]:
        """Snapshots kept, by schedule of the policy that is set."""
        return {
            part: schedule.retain
            for part in _PARTS
            if (schedule := getattr(self, part)) is not None
        }

    def stork_policy(self) -> dict[str, dict[str, object]]:
        """Stork's ``policy`` body: the config's keys are Stork's own."""
        return self.model_dump(by_alias=True, exclude_none=True)

    def period_minutes(self) -> int:
        """The shortest time between two runs of the policy: what staleness is measured by."""
        periods = [_MINUTES[part] for part in self.retains() if part in _MINUTES]
        if self.interval is not None:
            periods.append(self.interval.interval_minutes)
        return min(periods)


class CloudSnapshotsConfig(ConfigModel):
    """Cloud snapshots (to the S3 archive) of every claim of every stateful element."""

    policy: ShortName
    """A key of protection.schedulePolicies."""


class ApplicationBackupsConfig(ConfigModel):
    """A Stork ApplicationBackupSchedule per pipeline namespace: its objects and volumes."""

    enabled: bool = True
    policy: ShortName | None = None
    """A key of protection.schedulePolicies; required while enabled."""

    @model_validator(mode="after")
    def _policy_when_enabled(self) -> ApplicationBackupsConfig:
        if self.enabled and self.policy is None:
            raise config_rule("needs policy while enabled is true (or set enabled: false)")
        return self


class ProtectionConfig(ConfigModel):
    """Schedules, retention and the reclaim policy of the stack's snapshots and backups."""

    schedule_policies: Annotated[dict[ShortName, SchedulePolicyConfig], Field(min_length=1)]
    cloud_snapshots: CloudSnapshotsConfig
    application_backups: ApplicationBackupsConfig
    """Stated in every stack: on with a policy, or enabled: false."""
    minimum_retention: Retain = 7
    """Fewest snapshots or backups any schedule of a policy in use keeps."""
    reclaim_policy: Literal["Retain", "Delete"] = "Retain"
    """Retain: deleting a schedule (or the stack) keeps the snapshots and backups it made."""
    exempt_roles: Annotated[tuple[ShortName, ...], AfterValidator(no_duplicates)] = ("scratch",)
    """Storage roles whose claims hold nothing worth a snapshot."""

    @model_validator(mode="after")
    def _check_policies(self) -> ProtectionConfig:
        raise_problems(self._problems())
        return self

    def _problems(self) -> Iterator[Problem]:
        declared = ", ".join(sorted(self.schedule_policies))
        users: dict[str, list[str]] = {}
        for path, name in self.used_policies().items():
            if name not in self.schedule_policies:
                yield Problem(path, name, f"a policy declared in schedulePolicies: {declared}")
            else:
                users.setdefault(name, []).append(path[0])
        for name, used_by in users.items():
            for part, retain in self.schedule_policies[name].retains().items():
                if retain < self.minimum_retention:
                    yield Problem(
                        ("schedulePolicies", name, part, "retain"),
                        retain,
                        f"at least minimumRetention ({self.minimum_retention}): "
                        f"{' and '.join(used_by)} follow this policy",
                    )
        cloud = self.schedule_policies.get(self.cloud_snapshots.policy)
        if cloud is not None and sum(cloud.retains().values()) > MAX_SNAPSHOTS_PER_VOLUME:
            yield Problem(
                ("schedulePolicies", self.cloud_snapshots.policy),
                rule=f"keeps {sum(cloud.retains().values())} cloud snapshots of each volume in "
                f"all, more than the {MAX_SNAPSHOTS_PER_VOLUME} Portworx keeps of a volume",
            )

    def used_policies(self) -> dict[tuple[str, ...], str]:
        """Key path -> name of each policy reference in use."""
        used = {("cloudSnapshots", "policy"): self.cloud_snapshots.policy}
        backups = self.application_backups
        if backups.enabled and backups.policy is not None:
            used[("applicationBackups", "policy")] = backups.policy
        return used
