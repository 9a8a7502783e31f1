"""Stork data protection: schedule policies, cloud snapshots of every claim, application-consistent
rules, application backups to the S3 archive, and the alerts on them.

- :class:`SchedulePolicies` (once per stack): Stork ``SchedulePolicy`` objects, cluster-scoped and
  so named with the stack's prefix, since two stacks may share a cluster.
- :class:`NamespaceProtection` (once per pipeline namespace): the ``BackupLocation`` of the archive
  bucket (with the Secret of its access key, if one is used), a ``VolumeSnapshotSchedule`` of cloud
  snapshots per claim of every stateful element, the Elasticsearch flush ``Rule`` run before each
  snapshot of an Elasticsearch claim and before each backup, an ``ApplicationBackupSchedule`` of
  the namespace, and the PrometheusRule of the alerts (``components.alerting.stork``).

Claims that operators create do not exist when the program runs, but their names are fixed by the
operators (``components.stork``): a schedule per claim name waits for its claim, and Stork takes
the first snapshot once the claim is bound. A StorageClass-level Stork schedule
(``snapshotschedule.stork.libopenstorage.org/...`` parameters) would cover them too, but class
parameters are immutable, so every change of schedule or retention would mean new classes, and
operators can never move a live claim to a new class.

Kafka gets no rule: there is no way to quiesce a broker from outside, and it needs none. Each
broker's log is crash-consistent on its own (Kafka recovers a log after an unclean shutdown by
truncating it to the last valid batch), every broker's claims follow one policy so that they are
snapshotted together, and a restored broker that is behind its peers catches up from the
partition leaders, as after any crash. The namespace's application backup takes every claim of
the namespace in one run, which restores the brokers as one group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.alerting.stork import stork_alert_groups
from components.k8s import CustomObject
from components.labels import ROLE_LABEL
from components.monitoring import Monitoring
from components.stork import (
    CLOUD_CREDENTIAL_ANNOTATION,
    CLOUD_SNAPSHOT,
    FLUSH_CREDENTIALS_DIR,
    SNAPSHOT_TYPE_ANNOTATION,
    STORK_API,
    snapshot_schedule_name,
)

# The element whose claims get the Elasticsearch flush before their snapshots.
ELASTICSEARCH = "elasticsearch"
RECLAIM_POLICIES = ("Retain", "Delete")
# Where ECK mounts the HTTP layer's certificates in the Elasticsearch container (its CA: ca.crt).
_ECK_HTTP_CERTS = "/usr/share/elasticsearch/config/http-certs"
_ECK_CLUSTER_LABEL = "elasticsearch.k8s.elastic.co/cluster-name"
_ECK_CONTAINER = "elasticsearch"
_ES_PORT = 9200


@dataclass(frozen=True)
class SchedulePolicyArgs:
    """One Stork schedule policy."""

    policy: Mapping[str, Mapping[str, Any]]
    """Stork's ``policy`` body: any of ``interval{intervalMinutes, retain}``, ``daily{time,
    retain}``, ``weekly{day, time, retain}``, ``monthly{date, time, retain}``."""
    period_minutes: int
    """The shortest time between two runs: a snapshot older than twice this is late."""


@dataclass(frozen=True)
class SchedulePoliciesArgs:
    name_prefix: str
    """Prefix of every cluster-scoped name; keeps stacks that share a cluster apart."""
    labels: dict[str, str]
    policies: Mapping[str, SchedulePolicyArgs]
    """By the name the stack's config gives them."""

    def __post_init__(self) -> None:
        if not self.policies:
            raise ValueError("schedule policies: give at least one")
        for name, spec in self.policies.items():
            if not spec.policy or spec.period_minutes < 1:
                raise ValueError(
                    f"schedule policy {name}: give at least one schedule and its period"
                )


class SchedulePolicies(pulumi.ComponentResource):
    """The stack's Stork schedule policies, ``<prefix>-<name>``.

    They hold no data: deleting one stops the schedules that follow it, never their snapshots.
    """

    names: dict[str, pulumi.Output[str]]
    """Cluster name of each policy, by config name; schedules that use it wait for it."""
    periods: dict[str, int]

    def __init__(
        self, name: str, args: SchedulePoliciesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:protection:SchedulePolicies", name, None, opts)
        self.names = {}
        for policy, spec in args.policies.items():
            resource = CustomObject(
                f"{name}-{policy}",
                STORK_API,
                "SchedulePolicy",
                {
                    "metadata": {
                        "name": f"{args.name_prefix}-{policy}",
                        "labels": dict(args.labels),
                    },
                    "policy": {part: dict(schedule) for part, schedule in spec.policy.items()},
                },
                pulumi.ResourceOptions(parent=self),
            )
            self.names[policy] = resource.metadata.apply(lambda metadata: metadata["name"])
        self.periods = {policy: spec.period_minutes for policy, spec in args.policies.items()}
        self.register_outputs({"schedulePolicies": self.names})


@dataclass(frozen=True)
class S3AccessKey:
    """The backup writer's access key (an IAM user's), as secret Outputs."""

    access_key_id: pulumi.Input[str]
    secret_access_key: pulumi.Input[str]


@dataclass(frozen=True)
class ArchiveArgs:
    """The S3 bucket that keeps the stack's backups, and how Stork reaches it."""

    bucket: pulumi.Input[str]
    region: pulumi.Input[str]
    endpoint: pulumi.Input[str]
    """``s3.amazonaws.com`` for AWS (Stork then lets the SDK pick the regional endpoint)."""
    access_key: S3AccessKey | None = None
    """None: Stork uses the IAM role of its pods (IRSA / Pod Identity, or the node's)."""


@dataclass(frozen=True)
class ProtectedClaim:
    """A claim of a stateful element, by the name its operator (or the program) gives it."""

    name: str
    element: str
    """kafka, elasticsearch, analytics, ...: what the claim belongs to."""
    role: str
    """The storage role of its class."""


@dataclass(frozen=True)
class ElasticsearchFlushArgs:
    """The Elasticsearch cluster of the namespace, flushed before its claims are snapshotted.

    The flush user's credentials (a user with the ``maintenance`` privilege on every index) must
    be mounted at ``components.stork.FLUSH_CREDENTIALS_DIR`` in the Elasticsearch container.
    """

    cluster: str
    http_tls: bool


@dataclass(frozen=True)
class NamespaceProtectionArgs:
    """Inputs of :class:`NamespaceProtection`."""

    namespace: pulumi.Input[str]
    labels: dict[str, str]
    schedules: SchedulePolicies
    snapshot_policy: str
    """The config name of the policy cloud snapshots follow."""
    backup_policy: str | None
    """The config name of the policy application backups follow; None: no application backups."""
    claims: Sequence[ProtectedClaim]
    archive: ArchiveArgs
    reclaim_policy: str = "Retain"
    """Of snapshots and backups when their schedule is deleted."""
    exempt_roles: tuple[str, ...] = ("scratch",)
    """Storage roles whose claims get no schedule."""
    cloud_credential_id: str | None = None
    """Portworx cloud credential of cloud snapshots (``storage.snapshots.cloud.credentialId``);
    None: the only one defined."""
    elasticsearch: ElasticsearchFlushArgs | None = None
    monitoring: Monitoring | None = None

    def __post_init__(self) -> None:
        if self.reclaim_policy not in RECLAIM_POLICIES:
            raise ValueError(
                f"reclaim_policy must be Retain or Delete, got {self.reclaim_policy!r}"
            )
        for policy in (self.snapshot_policy, self.backup_policy):
            if policy is not None and policy not in self.schedules.periods:
                raise ValueError(f"schedule policy {policy!r} is not one of the stack's")
        names = [claim.name for claim in self.claims]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"claims listed twice: {', '.join(twice)}")
        if self.elasticsearch is None and any(c.element == ELASTICSEARCH for c in self.claims):
            raise ValueError("Elasticsearch claims need the cluster to flush (elasticsearch)")


class NamespaceProtection(pulumi.ComponentResource):
    """Cloud snapshots of every claim of a pipeline namespace, and backups of the namespace."""

    backup_location: str
    schedules: dict[str, str]
    """VolumeSnapshotSchedule name, by claim."""

    def __init__(
        self, name: str, args: NamespaceProtectionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:protection:NamespaceProtection", name, None, opts)
        self._name = name
        self._args = args
        self.backup_location = f"{name}-archive"
        location = self._create_backup_location()
        rule = self._create_flush_rule() if args.elasticsearch is not None else None
        protected = [c for c in args.claims if c.role not in args.exempt_roles]
        self.schedules = {
            claim.name: self._create_snapshot_schedule(
                claim, rule if claim.element == ELASTICSEARCH else None
            )
            for claim in protected
        }
        if args.backup_policy is not None:
            self._create_backup_schedule(args.backup_policy, location, rule)
        if args.monitoring is not None:
            self._create_alerts(args.monitoring, protected)
        self.register_outputs(
            {"backupLocation": self.backup_location, "snapshotSchedules": self.schedules}
        )

    def _metadata(self, name: str, **extra_labels: str) -> dict[str, Any]:
        return {
            "name": name,
            "namespace": self._args.namespace,
            "labels": {**self._args.labels, **extra_labels},
        }

    def _create_backup_location(self) -> CustomObject:
        archive = self._args.archive
        s3_config: dict[str, Any] = {
            "region": archive.region,
            "endpoint": archive.endpoint,
            "disableSSL": False,
            # No `sse`: an upload that asks for aws:kms without naming a key is encrypted with
            # AWS's own aws/s3 key, while one that asks for nothing gets the bucket's default,
            # SSE-KMS under the archive's customer key (whose policy says who may read).
            "useIam": archive.access_key is None,
        }
        location: dict[str, Any] = {"type": "s3", "path": archive.bucket, "s3Config": s3_config}
        # Restores of retained backups go through the location: it outlives the stack.
        kept = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        depends_on: list[pulumi.Resource] = []
        if archive.access_key is not None:
            # The key stays in a Secret that Stork reads (secretConfig), never in the object.
            secret = k8s.core.v1.Secret(
                f"{self._name}-archive-key",
                metadata=self._metadata(f"{self.backup_location}-key"),
                type="Opaque",
                string_data={
                    "accessKeyID": pulumi.Output.secret(archive.access_key.access_key_id),
                    "secretAccessKey": pulumi.Output.secret(archive.access_key.secret_access_key),
                },
                opts=kept,
            )
            location["secretConfig"] = secret.metadata.name
            depends_on.append(secret)
        return CustomObject(
            f"{self._name}-archive",
            STORK_API,
            "BackupLocation",
            {"metadata": self._metadata(self.backup_location), "location": location},
            pulumi.ResourceOptions.merge(kept, pulumi.ResourceOptions(depends_on=depends_on)),
        )

    def _create_flush_rule(self) -> CustomObject:
        es = self._args.elasticsearch
        assert es is not None
        return CustomObject(
            f"{self._name}-elasticsearch-flush",
            STORK_API,
            "Rule",
            {
                "metadata": self._metadata(f"{es.cluster}-flush"),
                "rules": [
                    {
                        "podSelector": {_ECK_CLUSTER_LABEL: es.cluster},
                        "container": _ECK_CONTAINER,
                        "actions": [
                            {
                                "type": "command",
                                "value": flush_command(es.cluster, es.http_tls),
                                # One flush covers every shard of the cluster.
                                "runInSinglePod": True,
                                "background": False,
                            }
                        ],
                    }
                ],
            },
            pulumi.ResourceOptions(parent=self),
        )

    def _create_snapshot_schedule(self, claim: ProtectedClaim, rule: CustomObject | None) -> str:
        args = self._args
        annotations = {SNAPSHOT_TYPE_ANNOTATION: CLOUD_SNAPSHOT}
        if args.cloud_credential_id:
            annotations[CLOUD_CREDENTIAL_ANNOTATION] = args.cloud_credential_id
        name = snapshot_schedule_name(claim.name)
        spec: dict[str, Any] = {
            "schedulePolicyName": args.schedules.names[args.snapshot_policy],
            "reclaimPolicy": args.reclaim_policy,
            "template": {"spec": {"persistentVolumeClaimName": claim.name}},
        }
        if rule is not None:
            spec["preExecRule"] = rule.metadata.apply(lambda metadata: metadata["name"])
        CustomObject(
            f"{self._name}-{claim.name}-cloud",
            STORK_API,
            "VolumeSnapshotSchedule",
            {
                "metadata": {
                    **self._metadata(name, **{ROLE_LABEL: claim.role}),
                    "annotations": annotations,
                },
                "spec": spec,
            },
            pulumi.ResourceOptions(parent=self),
        )
        return name

    def _create_backup_schedule(
        self, policy: str, location: CustomObject, rule: CustomObject | None
    ) -> None:
        args = self._args
        template: dict[str, Any] = {
            "backupLocation": location.metadata.apply(lambda metadata: metadata["name"]),
            "namespaces": [args.namespace],
            # Each ApplicationBackup keeps its data when it is deleted (Stork's default deletes).
            "reclaimPolicy": args.reclaim_policy,
        }
        if rule is not None:
            template["preExecRule"] = rule.metadata.apply(lambda metadata: metadata["name"])
        CustomObject(
            f"{self._name}-backups",
            STORK_API,
            "ApplicationBackupSchedule",
            {
                "metadata": self._metadata(f"{self._name}-backups"),
                "spec": {
                    "schedulePolicyName": args.schedules.names[policy],
                    "reclaimPolicy": args.reclaim_policy,
                    "template": {"spec": template},
                },
            },
            pulumi.ResourceOptions(parent=self),
        )

    def _create_alerts(self, monitoring: Monitoring, claims: Sequence[ProtectedClaim]) -> None:
        args = self._args
        late_after: dict[int, list[str]] = defaultdict(list)
        for claim in claims:
            late_after[2 * args.schedules.periods[args.snapshot_policy]].append(claim.name)
        monitoring.create_alert_rules(
            f"{self._name}-protection-alerts",
            name=f"{self._name}-protection",
            namespace=args.namespace,
            labels=args.labels,
            groups=pulumi.Output.from_input(args.namespace).apply(
                lambda namespace: stork_alert_groups(
                    namespace, {window: tuple(names) for window, names in late_after.items()}
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )


def flush_command(cluster: str, http_tls: bool) -> str:
    """The shell command that flushes every index of ``cluster`` from one of its nodes.

    It talks to the node it runs on (pod-local traffic, which no network policy sees), checks the
    HTTP certificate against ECK's CA for the Service's name, and passes the flush user's
    password to curl on standard input, so that it never shows in a process's arguments.
    """
    service = f"{cluster}-es-http"
    if http_tls:
        target = (
            f"--cacert {_ECK_HTTP_CERTS}/ca.crt --resolve {service}:{_ES_PORT}:127.0.0.1 "
            f"https://{service}:{_ES_PORT}/_flush"
        )
    else:
        target = f"http://127.0.0.1:{_ES_PORT}/_flush"
    credentials = (
        f'printf \'user = "%s:%s"\\n\' "$(cat {FLUSH_CREDENTIALS_DIR}/username)" '
        f'"$(cat {FLUSH_CREDENTIALS_DIR}/password)"'
    )
    return f"{credentials} | curl --config - --silent --show-error --fail -X POST {target}"
