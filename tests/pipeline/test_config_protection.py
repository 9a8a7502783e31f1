"""The protection section: schedule policies, the policies in use, retention; the exact message per
bad value.

The section is validated on its own here, so paths start at it
(``data-pipeline:schedulePolicies...``); in a stack file they start at ``data-pipeline:protection``.
"""

from __future__ import annotations

import copy

import pytest

from pipeline.config import ConfigError
from pipeline.config.base import validate
from pipeline.config.protection import ProtectionConfig

VALID = {
    "schedulePolicies": {
        "frequent": {
            "interval": {"intervalMinutes": 60, "retain": 24},
            "daily": {"time": "1:30AM", "retain": 7},
        },
        "nightly": {
            "daily": {"time": "2:00AM", "retain": 14},
            "weekly": {"day": "Sunday", "time": "3:00AM", "retain": 8},
            "monthly": {"date": 1, "time": "4:00AM", "retain": 12},
        },
    },
    "cloudSnapshots": {"policy": "frequent"},
    "applicationBackups": {"policy": "nightly"},
}


def with_changes(**changes) -> dict:
    raw = copy.deepcopy(VALID)
    raw.update(copy.deepcopy(changes))
    return raw


def error_of(raw: dict) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        validate(ProtectionConfig, raw)
    return str(caught.value).splitlines()


def test_defaults_retain_snapshots_and_exempt_scratch():
    config = validate(ProtectionConfig, VALID)
    assert config.reclaim_policy == "Retain"
    assert config.minimum_retention == 7
    assert config.exempt_roles == ("scratch",)
    assert config.application_backups.enabled is True
    assert config.schedule_policies["frequent"].retains() == {"interval": 24, "daily": 7}
    assert config.used_policies() == {
        ("cloudSnapshots", "policy"): "frequent",
        ("applicationBackups", "policy"): "nightly",
    }


def test_a_policy_runs_as_often_as_its_shortest_schedule():
    config = validate(ProtectionConfig, VALID)
    assert config.schedule_policies["frequent"].period_minutes() == 60
    assert config.schedule_policies["nightly"].period_minutes() == 24 * 60
    weekly = validate(
        ProtectionConfig,
        with_changes(
            schedulePolicies={
                "weekly": {"weekly": {"day": "Friday", "time": "11:00PM", "retain": 8}}
            },
            cloudSnapshots={"policy": "weekly"},
            applicationBackups={"enabled": False},
        ),
    )
    assert weekly.schedule_policies["weekly"].period_minutes() == 7 * 24 * 60
    assert weekly.used_policies() == {("cloudSnapshots", "policy"): "weekly"}


def test_a_policy_is_written_as_stork_reads_it():
    config = validate(ProtectionConfig, VALID)
    assert config.schedule_policies["nightly"].stork_policy() == {
        "daily": {"time": "2:00AM", "retain": 14},
        "weekly": {"day": "Sunday", "time": "3:00AM", "retain": 8},
        "monthly": {"date": 1, "time": "4:00AM", "retain": 12},
    }
    assert config.schedule_policies["frequent"].stork_policy() == {
        "interval": {"intervalMinutes": 60, "retain": 24},
        "daily": {"time": "1:30AM", "retain": 7},
    }


def test_application_backups_can_be_turned_off_without_a_policy():
    config = validate(ProtectionConfig, with_changes(applicationBackups={"enabled": False}))
    assert config.application_backups.policy is None


def test_every_section_key_is_stated_or_defaulted():
    assert error_of({}) == [
        "data-pipeline:schedulePolicies: required but not set",
        "data-pipeline:cloudSnapshots: required but not set",
        "data-pipeline:applicationBackups: required but not set",
    ]


def test_bad_schedules_name_key_value_and_what_is_allowed():
    raw = with_changes(
        schedulePolicies={
            "empty": {},
            "bad": {
                "interval": {"intervalMinutes": 0, "retain": 10},
                "daily": {"time": "13:00", "retain": 10},
                "weekly": {"day": "Sun", "time": "3:00AM", "retain": 65},
                "monthly": {"date": 31, "time": "4:00am", "retain": 12},
            },
        },
        cloudSnapshots={"policy": "bad"},
        applicationBackups={"enabled": False},
    )
    assert error_of(raw) == [
        "data-pipeline:schedulePolicies.empty: set at least one of interval, daily, weekly, "
        "monthly",
        "data-pipeline:schedulePolicies.bad.interval.intervalMinutes: 0 is not allowed (1..10080)",
        'data-pipeline:schedulePolicies.bad.daily.time: "13:00" is not allowed (a time of day as '
        "Stork reads it (hours 1-12, minutes, AM or PM), such as 1:30AM)",
        "data-pipeline:schedulePolicies.bad.weekly.day: \"Sun\" is not allowed (one of 'Sunday', "
        "'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday' or 'Saturday')",
        "data-pipeline:schedulePolicies.bad.weekly.retain: 65 is not allowed (1..64)",
        "data-pipeline:schedulePolicies.bad.monthly.date: 31 is not allowed (1..28)",
        'data-pipeline:schedulePolicies.bad.monthly.time: "4:00am" is not allowed (a time of day '
        "as Stork reads it (hours 1-12, minutes, AM or PM), such as 1:30AM)",
    ]


def test_unknown_keys_list_the_allowed_ones():
    raw = with_changes(cloudSnapshots={"policy": "frequent", "credentialId": "s3"})
    assert error_of(raw) == [
        "data-pipeline:cloudSnapshots.credentialId: unknown key (allowed here: policy)"
    ]


def test_enabled_application_backups_need_a_policy():
    assert error_of(with_changes(applicationBackups={"enabled": True})) == [
        "data-pipeline:applicationBackups: needs policy while enabled is true (or set "
        "enabled: false)"
    ]


def test_policies_in_use_must_be_declared():
    raw = with_changes(cloudSnapshots={"policy": "hourly"}, applicationBackups={"policy": "daily"})
    assert error_of(raw) == [
        'data-pipeline:cloudSnapshots.policy: "hourly" is not allowed (a policy declared in '
        "schedulePolicies: frequent, nightly)",
        'data-pipeline:applicationBackups.policy: "daily" is not allowed (a policy declared in '
        "schedulePolicies: frequent, nightly)",
    ]


def test_policies_in_use_keep_at_least_the_minimum_retention_once_per_schedule():
    raw = with_changes(minimumRetention=10, applicationBackups={"policy": "frequent"})
    assert error_of(raw) == [
        "data-pipeline:schedulePolicies.frequent.daily.retain: 7 is not allowed (at least "
        "minimumRetention (10): cloudSnapshots and applicationBackups follow this policy)",
    ]


def test_a_policy_nothing_uses_is_not_held_to_the_minimum():
    raw = with_changes(minimumRetention=10, applicationBackups={"enabled": False})
    raw["schedulePolicies"]["frequent"]["daily"]["retain"] = 10
    assert validate(ProtectionConfig, raw).minimum_retention == 10


def test_cloud_snapshots_stay_within_what_portworx_keeps_of_a_volume():
    raw = with_changes(
        schedulePolicies={
            "dense": {
                "interval": {"intervalMinutes": 15, "retain": 48},
                "daily": {"time": "1:00AM", "retain": 30},
            }
        },
        cloudSnapshots={"policy": "dense"},
        applicationBackups={"policy": "dense"},
    )
    assert error_of(raw) == [
        "data-pipeline:schedulePolicies.dense: keeps 78 cloud snapshots of each volume in all, "
        "more than the 64 Portworx keeps of a volume"
    ]


def test_reclaim_policy_and_exempt_roles_are_checked():
    raw = with_changes(reclaimPolicy="Keep", exemptRoles=["Scratch"], minimumRetention=0)
    assert error_of(raw) == [
        "data-pipeline:minimumRetention: 0 is not allowed (1..64)",
        "data-pipeline:reclaimPolicy: \"Keep\" is not allowed (one of 'Retain' or 'Delete')",
        'data-pipeline:exemptRoles[0]: "Scratch" is not allowed (a DNS label of at most 30 '
        "characters: lowercase letters, digits and '-')",
    ]
    raw = with_changes(exemptRoles=["scratch", "scratch"])
    assert error_of(raw) == ["data-pipeline:exemptRoles: lists scratch 2 times"]
