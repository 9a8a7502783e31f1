"""The ``migration`` section: PX-Motion to a second cluster (Stork ClusterPair, MigrationSchedule).

Optional: a stack without it migrates nothing (dev). The destination's kubeconfig and the
destination Portworx token are credentials: they are only ever read as Pulumi secrets and never
shown in an error message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, SecretStr, model_validator

from components.kubeconfig import STORK_CREDENTIALS, named, parse, stork_cluster_config
from pipeline.config.base import ConfigModel, Problem, matching, raise_problems
from policies.record import SECRET_PLACEHOLDER

# Stork's DNS-1123 subdomain names (SchedulePolicy, ClusterPair).
ObjectName = Annotated[
    str,
    AfterValidator(
        matching(
            r"(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
            "a Kubernetes object name: lowercase letters, digits, '-' and '.'",
        )
    ),
]
Host = Annotated[
    str,
    AfterValidator(
        matching(
            r"[A-Za-z0-9]([-A-Za-z0-9.:]*[A-Za-z0-9])?",
            "an IP address or a DNS name of a destination Portworx node or its load balancer",
        )
    ),
]
Port = Annotated[int, Field(ge=1, le=65535)]


class PortworxPairConfig(ConfigModel):
    """How Portworx on this cluster reaches Portworx on the destination (ClusterPair options)."""

    ip: Host
    """Address of a destination Portworx node, or of a load balancer in front of them."""
    port: Port = 9001
    """Portworx's API port on the destination (9001; 17001 on OpenShift)."""
    token: SecretStr
    """``pxctl cluster token show`` on the destination, as a Pulumi secret."""
    mode: Literal["DisasterRecovery", "OneTimeMigration"] = "DisasterRecovery"
    """DisasterRecovery keeps the pairing for scheduled migrations; OneTimeMigration is a move."""


class DestinationConfig(ConfigModel):
    """The destination cluster, as this program and Stork reach it."""

    kubeconfig: SecretStr
    """The destination's kubeconfig (YAML), as a Pulumi secret; the user of ``context`` must
    authenticate with a token or a client certificate, which Stork can use from inside its pod."""
    context: str
    """The kubeconfig context to use: named, never whatever the file's current-context is."""

    @model_validator(mode="after")
    def _usable_kubeconfig(self) -> DestinationConfig:
        text = self.kubeconfig.get_secret_value()
        # The offline check cannot decrypt a secure value and hands over its placeholder: only
        # the real engine's run can read, and so check, the kubeconfig.
        if text != SECRET_PLACEHOLDER:
            raise_problems(kubeconfig_problems(text, self.context))
        return self

    def cluster_pair_config(self) -> dict[str, Any] | str:
        """The ClusterPair's ``spec.config`` (still hidden, as the placeholder, offline)."""
        text = self.kubeconfig.get_secret_value()
        if text == SECRET_PLACEHOLDER:
            return text
        return stork_cluster_config(text, self.context)


class MigrationConfig(ConfigModel):
    """PX-Motion: every pipeline namespace migrated to the destination on a Stork schedule."""

    destination: DestinationConfig
    portworx: PortworxPairConfig
    schedule_policy: ObjectName = "default-interval-policy"
    """A policy of ``protection.schedulePolicies`` by its name there, or a SchedulePolicy of the
    cluster; Stork's own default-interval-policy runs every 15 minutes."""
    include_volumes: bool = True
    """Migrate the volumes' data too, not only the resources."""
    start_applications: Literal[False] = False
    """Always false: the destination's copies stay scaled down until a deliberate cut-over, so
    two clusters never write the same data."""
    purge_deleted_resources: bool = False
    """Delete on the destination what was deleted on the source; off, so that a mistake on the
    source is never mirrored onto the only other copy."""
    auto_suspend: bool = True
    """Suspend the schedules once the applications run on the destination (after a fail-over),
    so a recovered source never overwrites them."""


def kubeconfig_problems(text: str, context: str) -> Iterator[Problem]:
    """What makes a kubeconfig unusable for the destination provider and for Stork.

    Messages name keys and entries, never values: the kubeconfig holds credentials.
    """
    where = ("kubeconfig",)
    parsed = parse(text)
    if not parsed:
        yield Problem(where, rule="not a kubeconfig: YAML with clusters, users and contexts")
        return
    contexts = named(parsed, "contexts")
    if context not in contexts:
        yield Problem(
            ("context",),
            context,
            f"a context of the kubeconfig: {', '.join(sorted(contexts)) or 'none defined'}",
        )
        return
    entry = contexts[context]
    users = named(parsed, "users")
    for part, entries in (("cluster", named(parsed, "clusters")), ("user", users)):
        if entry.get(part) not in entries:
            yield Problem(where, rule=f"context {context} names a {part} the kubeconfig lacks")
            return
    if not any(users[entry["user"]].get(key) for key in STORK_CREDENTIALS):
        yield Problem(
            where,
            rule=f"the user of context {context} needs a token or client-certificate-data: Stork "
            "cannot run exec plugins or auth providers inside its pod",
        )
    user = users[entry["user"]]
    if user.get("client-certificate-data") and not user.get("client-key-data"):
        yield Problem(
            where,
            rule=f"the user of context {context} has client-certificate-data but no "
            "client-key-data",
        )
    # Stork reads the pair's config inside its pod, where no file of this machine exists.
    if not named(parsed, "clusters")[entry["cluster"]].get("certificate-authority-data"):
        yield Problem(
            where,
            rule=f"the cluster of context {context} needs certificate-authority-data: Stork "
            "cannot read a certificate-authority file inside its pod",
        )
