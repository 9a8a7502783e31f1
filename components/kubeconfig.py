"""Reading a kubeconfig file: what the destination provider is given and what Stork is given.

Shared by the config (which checks a kubeconfig before anything is registered) and the migration
component (which turns it into a ClusterPair's ``spec.config``). No Pulumi import.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

# Credentials Stork can use from inside its pod: exec plugins and auth providers need binaries
# and files that only the operator's workstation has.
STORK_CREDENTIALS = ("token", "client-certificate-data")
# The fields of a cluster and of a user that client-go's internal api.Config shares with the
# kubeconfig file format under the same names, and that a pod can use.
_CLUSTER_FIELDS = (
    "server",
    "certificate-authority-data",
    "insecure-skip-tls-verify",
    "tls-server-name",
    "proxy-url",
)
_USER_FIELDS = ("token", "client-certificate-data", "client-key-data")


def parse(text: str) -> dict[str, Any]:
    """The kubeconfig as a mapping; empty when ``text`` is not a YAML mapping."""
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def named(kubeconfig: Mapping[str, Any], section: str) -> dict[str, dict[str, Any]]:
    """A kubeconfig list (``clusters``, ``users``, ``contexts``) as its bodies by name."""
    body = section.removesuffix("s")
    return {
        entry["name"]: entry.get(body) or {}
        for entry in kubeconfig.get(section) or []
        if isinstance(entry, dict) and isinstance(entry.get("name"), str)
    }


def stork_cluster_config(text: str, context: str) -> dict[str, Any]:
    """ClusterPair ``spec.config``: ``context`` of the kubeconfig ``text`` as client-go's
    internal ``api.Config`` (clusters, users and contexts are maps keyed by name), holding only
    that context, its cluster and its user, and of those only what a pod can use."""
    parsed = parse(text)
    entry = named(parsed, "contexts")[context]
    cluster, user = entry["cluster"], entry["user"]
    cluster_body = named(parsed, "clusters")[cluster]
    user_body = named(parsed, "users")[user]
    return {
        "clusters": {cluster: {k: v for k, v in cluster_body.items() if k in _CLUSTER_FIELDS}},
        "users": {user: {k: v for k, v in user_body.items() if k in _USER_FIELDS}},
        "contexts": {context: {"cluster": cluster, "user": user}},
        "current-context": context,
    }
