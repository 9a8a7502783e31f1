"""Alerts on a pipeline namespace's data protection: cloud snapshots, application backups and
PX-Motion migrations.

Metric names and values come from the exporters' own code:

- Portworx (metrics reference, "Backup metrics"): ``px_backup_stats_backup_status`` per cloud
  backup of a volume, 0 in progress, 1 done, 2 failed; ``px_backup_stats_backup_size`` its size.
  Labels ``volume`` (ID) and ``volumename`` (the PersistentVolume's name for CSI volumes).
- Stork (``pkg/metrics``): ``application_backup_status`` and ``migration_status`` per
  ApplicationBackup or Migration (labels ``name``, ``namespace``, ``schedule``), 3 failed,
  4 partial success, 5 successful. Stork also defines ``stork_volume_snapshot_status``, but
  v24.3.2 never starts the watch that sets it, so snapshots are judged by Portworx's metric.
- kube-state-metrics: ``kube_persistentvolumeclaim_info`` maps a claim to its volume.

Stork's and kube-state-metrics' ``namespace`` label is the object's: their scrapes must keep the
metrics' own labels (``honorLabels: true``), as the usual kube-state-metrics monitor does.

A claim's cloud snapshots are late when none of its volume completed within twice its policy's
period. A completion is the backup status turning done (or its series appearing done), or its
size changing while it stays done (a whole backup between two scrapes); a failed latest backup
does not hide an older completion within the window. A claim younger than the window is never
late; one without any backup is late once the window has passed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.alerting.promql import Regex, alert, any_of, label, require_dns_label, selector

BACKUP_STATUS = "px_backup_stats_backup_status"
BACKUP_SIZE = "px_backup_stats_backup_size"
CLAIM_INFO = "kube_persistentvolumeclaim_info"
APPLICATION_BACKUP_STATUS = "application_backup_status"
MIGRATION_STATUS = "migration_status"
# px_backup_stats_backup_status values.
_BACKUP_DONE = 1
_BACKUP_FAILED = 2
# Stork's ApplicationBackup and Migration status values.
_STORK_FAILED = 3
_STORK_PARTIAL = 4

_CLAIM = ("namespace", "persistentvolumeclaim", "volumename")
_STORK_OBJECT = ("namespace", "name", "schedule")


def _max_by(labels: Sequence[str], vector: str) -> str:
    return f"max by ({', '.join(labels)}) ({vector})"


def _duration(minutes: int) -> str:
    return f"{minutes}m"


def stork_alert_groups(
    namespace: str, late_after: Mapping[int, Sequence[str]]
) -> list[dict[str, Any]]:
    """PrometheusRule ``spec.groups`` for the pipeline ``namespace``.

    ``late_after`` maps a window in minutes (twice a schedule policy's period) to the claims
    whose cloud snapshots follow that policy.
    """
    require_dns_label("namespace", namespace)
    for window, claims in late_after.items():
        if window < 1 or not claims:
            raise ValueError(f"late_after: a window of {window} minutes needs claims, and > 0")
    return [
        {"name": "stork-snapshots", "rules": _snapshot_rules(namespace, late_after)},
        {"name": "stork-backups", "rules": _stork_rules(namespace)},
    ]


def _claims(namespace: str, claims: Sequence[str] | None = None) -> str:
    matchers: dict[str, str | Regex] = {"namespace": namespace}
    if claims is not None:
        matchers["persistentvolumeclaim"] = Regex(any_of(sorted(claims)))
    return _max_by(_CLAIM, selector(CLAIM_INFO, **matchers))


def _per_volume(vector: str) -> str:
    # Every node that holds a replica may report the volume's backups.
    return _max_by(("volumename",), vector)


def _snapshot_rules(namespace: str, late_after: Mapping[int, Sequence[str]]) -> list[dict]:
    claim = f"claim {label('namespace')}/{label('persistentvolumeclaim')}"
    failed = (
        f"{_claims(namespace)} * on (volumename) group_left () "
        f"({_per_volume(BACKUP_STATUS)} == {_BACKUP_FAILED})"
    )
    rules = [
        alert(
            "StorkCloudSnapshotFailed",
            failed,
            duration="5m",
            severity="critical",
            summary=f"The latest cloud snapshot of {claim} failed",
            description=(
                f"Portworx reports the latest cloud backup of volume {label('volumename')} "
                f"({claim}) as failed: the archive holds only older snapshots of it."
            ),
            runbook=(
                "Find the error with storkctl get volumesnapshots -n <namespace> and pxctl "
                "cloudsnap status; check the cloud credential and the bucket's reachability."
            ),
        )
    ]
    status = _per_volume(BACKUP_STATUS)
    size = _per_volume(BACKUP_SIZE)
    # A backup completes when the status turns done (or the series appears done), or when the
    # size changes while it stays done (a backup started and ended between two scrapes).
    completes = (
        f"(({status} == {_BACKUP_DONE}) unless on (volumename) "
        f"({_per_volume(f'{BACKUP_STATUS} offset 1m')} == {_BACKUP_DONE}))"
        f" or (({status} == {_BACKUP_DONE}) and on (volumename) "
        f"({size} != {_per_volume(f'{BACKUP_SIZE} offset 1m')}))"
    )
    for window, claims in sorted(late_after.items()):
        duration = _duration(window)
        completed = f"count_over_time(({completes})[{duration}:1m])"
        existed = _max_by(_CLAIM[:2], f"{CLAIM_INFO} offset {duration}")
        late = (
            f"({_claims(namespace, claims)} and on (namespace, persistentvolumeclaim) "
            f"{existed}) unless on (volumename) {completed}"
        )
        rules.append(
            alert(
                "StorkCloudSnapshotLate",
                late,
                duration="10m",
                severity="warning",
                summary=f"No cloud snapshot of {claim} completed in {duration}",
                description=(
                    f"No cloud snapshot of volume {label('volumename')} ({claim}) completed "
                    f"within {duration}, twice the period of its schedule policy."
                ),
                runbook=(
                    "Check the claim's VolumeSnapshotSchedule (storkctl get "
                    "volumesnapshotschedules -n <namespace>; suspended?), Stork's logs and "
                    "pxctl cloudsnap status."
                ),
                labels={"window": duration},
            )
        )
    return rules


def _stork_rules(namespace: str) -> list[dict]:
    def failed(metric: str) -> str:
        status = _max_by(_STORK_OBJECT, selector(metric, namespace=namespace))
        return f"{status} == {_STORK_FAILED} or {status} == {_STORK_PARTIAL}"

    # A Go template: Prometheus fills in which of the two the value is.
    outcome = (
        f"{{{{ if eq $value {_STORK_FAILED}.0 }}}}failed{{{{ else }}}}partly failed{{{{ end }}}}"
    )
    backup = f"ApplicationBackup {label('namespace')}/{label('name')}"
    migration = f"Migration {label('namespace')}/{label('name')}"
    return [
        alert(
            "StorkApplicationBackupFailed",
            failed(APPLICATION_BACKUP_STATUS),
            duration="0m",
            severity="critical",
            summary=f"{backup} {outcome}",
            description=(
                f"{backup} of schedule {label('schedule')} {outcome}: the namespace's latest "
                "backup in the archive is older."
            ),
            runbook=(
                "Read the reason with storkctl get applicationbackups -n <namespace> and kubectl "
                "describe; fix it, then delete the failed backup to clear the alert."
            ),
        ),
        alert(
            "StorkMigrationFailed",
            failed(MIGRATION_STATUS),
            duration="0m",
            severity="critical",
            summary=f"{migration} {outcome}",
            description=(
                f"{migration} of schedule {label('schedule')} {outcome}: the destination "
                "cluster holds an older copy of the namespace."
            ),
            runbook=(
                "Read the reason with storkctl get migrations -n <namespace>; check the "
                "ClusterPair (storkctl get clusterpair); the next scheduled run retries."
            ),
        ),
    ]
