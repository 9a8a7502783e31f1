"""The migration section: defaults, the secret kubeconfig, the exact message of each bad value."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.kubeconfig import stork_cluster_config
from pipeline.config.base import ConfigError, ConfigModel, validate
from pipeline.config.migration import MigrationConfig

KUBECONFIG = """
current-context: dr
clusters:
- {name: dr-cluster, cluster: {server: "https://dr.example:6443", certificate-authority-data: Q0E=}}
- {name: by-file, cluster: {server: "https://dr.example:6443", certificate-authority: /etc/ca.crt}}
users:
- {name: admin, user: {token: kube-secret-token}}
- {name: half, user: {client-certificate-data: Q0VSVA==}}
- {name: sso, user: {exec: {command: aws, args: [eks, get-token]}}}
contexts:
- {name: dr, context: {cluster: dr-cluster, user: admin}}
- {name: dr-sso, context: {cluster: dr-cluster, user: sso}}
- {name: broken, context: {cluster: elsewhere, user: admin}}
- {name: ca-file, context: {cluster: by-file, user: admin}}
- {name: no-key, context: {cluster: dr-cluster, user: half}}
"""
MIGRATION = {
    "destination": {"kubeconfig": KUBECONFIG, "context": "dr"},
    "portworx": {"ip": "10.1.0.7", "token": "px-secret-token"},
}


class _Stack(ConfigModel):
    """The section where the stack holds it, so that messages carry the full key path."""

    migration: MigrationConfig | None = None


def parse(**changes: Any) -> MigrationConfig:
    return validate(_Stack, {"migration": _changed(changes)}).migration


def error_of(**changes: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        parse(**changes)
    return str(caught.value)


def _changed(changes: dict[str, Any]) -> dict[str, Any]:
    raw = copy.deepcopy(MIGRATION)
    for path, value in changes.items():
        *parents, key = path.split("__")
        node = raw
        for parent in parents:
            node = node[parent]
        node[key] = value
    return raw


def test_absent_means_no_migration():
    assert validate(_Stack, {}).migration is None


def test_defaults_never_start_applications_nor_purge():
    config = parse()
    assert config.start_applications is False
    assert config.purge_deleted_resources is False
    assert config.include_volumes is True
    assert config.auto_suspend is True
    assert config.schedule_policy == "default-interval-policy"
    assert (config.portworx.port, config.portworx.mode) == (9001, "DisasterRecovery")
    assert config.destination.cluster_pair_config() == stork_cluster_config(KUBECONFIG, "dr")
    assert "kube-secret-token" not in repr(config)
    assert "px-secret-token" not in repr(config)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"startApplications": True},
            "data-pipeline:migration.startApplications: true is not allowed (one of False)",
        ),
        (
            {"destination__context": "prod"},
            'data-pipeline:migration.destination.context: "prod" is not allowed (a context of '
            "the kubeconfig: broken, ca-file, dr, dr-sso, no-key)",
        ),
        (
            {"destination__context": "dr-sso"},
            "data-pipeline:migration.destination.kubeconfig: the user of context dr-sso needs a "
            "token or client-certificate-data: Stork cannot run exec plugins or auth providers "
            "inside its pod",
        ),
        (
            {"destination__context": "broken"},
            "data-pipeline:migration.destination.kubeconfig: context broken names a cluster the "
            "kubeconfig lacks",
        ),
        (
            {"destination__context": "ca-file"},
            "data-pipeline:migration.destination.kubeconfig: the cluster of context ca-file "
            "needs certificate-authority-data: Stork cannot read a certificate-authority file "
            "inside its pod",
        ),
        (
            {"destination__context": "no-key"},
            "data-pipeline:migration.destination.kubeconfig: the user of context no-key has "
            "client-certificate-data but no client-key-data",
        ),
        (
            {"destination__kubeconfig": "just: [text"},
            "data-pipeline:migration.destination.kubeconfig: not a kubeconfig: YAML with "
            "clusters, users and contexts",
        ),
        (
            {"destination": {"kubeconfig": KUBECONFIG}},
            "data-pipeline:migration.destination.context: required but not set",
        ),
        (
            {"destination__kubeconfig": 42},
            "data-pipeline:migration.destination.kubeconfig: [secret] is not allowed (expected "
            "a valid string)",
        ),
        (
            {"portworx__token": ["px-secret-token"]},
            "data-pipeline:migration.portworx.token: [secret] is not allowed (expected a valid "
            "string)",
        ),
        (
            {"portworx__port": 0},
            "data-pipeline:migration.portworx.port: 0 is not allowed (expected greater than or "
            "equal to 1)",
        ),
        (
            {"portworx__ip": "http://10.1.0.7/"},
            'data-pipeline:migration.portworx.ip: "http://10.1.0.7/" is not allowed (an IP '
            "address or a DNS name of a destination Portworx node or its load balancer)",
        ),
        (
            {"portworx__mode": "Sync"},
            'data-pipeline:migration.portworx.mode: "Sync" is not allowed (one of '
            "'DisasterRecovery' or 'OneTimeMigration')",
        ),
        (
            {"schedulePolicy": "Every_Hour"},
            'data-pipeline:migration.schedulePolicy: "Every_Hour" is not allowed (a Kubernetes '
            "object name: lowercase letters, digits, '-' and '.')",
        ),
        (
            {"portworx__tokn": "x"},
            "data-pipeline:migration.portworx.tokn: unknown key (allowed here: ip, mode, port, "
            "token)",
        ),
    ],
)
def test_bad_values_are_named_exactly(changes, message):
    assert error_of(**changes) == message


def test_a_missing_destination_is_reported():
    with pytest.raises(ConfigError) as caught:
        validate(_Stack, {"migration": {"portworx": MIGRATION["portworx"]}})
    assert str(caught.value) == "data-pipeline:migration.destination: required but not set"


def test_no_message_shows_a_credential():
    message = error_of(destination__context="dr-sso", portworx__port=0)
    assert "kube-secret-token" not in message
    assert "px-secret-token" not in message


def test_the_offline_checks_placeholder_is_left_unread():
    config = parse(destination__kubeconfig="[secret]")
    assert config.destination.cluster_pair_config() == "[secret]"


def test_stork_gets_only_the_chosen_context_and_what_a_pod_can_use():
    assert stork_cluster_config(KUBECONFIG, "dr") == {
        "clusters": {
            "dr-cluster": {
                "server": "https://dr.example:6443",
                "certificate-authority-data": "Q0E=",
            }
        },
        "users": {"admin": {"token": "kube-secret-token"}},
        "contexts": {"dr": {"cluster": "dr-cluster", "user": "admin"}},
        "current-context": "dr",
    }
