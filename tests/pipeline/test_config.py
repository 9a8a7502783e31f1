"""Typed stack config: defaults, cross references, and the exact message for each bad value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.config import ConfigError, parse_config
from tests.conftest import minimal_config


def error_of(raw: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    return str(caught.value)


def test_minimal_config_gets_secure_durable_defaults():
    config = parse_config(minimal_config())
    db = config.storage.classes["db"]
    assert (db.secure, db.reclaim_policy, db.allow_volume_expansion) == (True, "Retain", True)
    assert (db.io_profile, db.priority_io, db.fs) == ("auto", "high", "ext4")
    assert config.kubernetes.namespace == "data-pipeline"
    assert config.kubernetes.retain_on_delete is True
    assert config.storage.snapshots.local.enabled and not config.storage.snapshots.cloud.enabled
    assert config.storage.snapshots.local.deletion_policy == "Retain"


def test_unset_repl_defaults_to_three_copies():
    raw = minimal_config(storage={"classes": {"db": {}}})
    assert parse_config(raw).storage.classes["db"].repl == 3


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            minimal_config(storage={"classes": {"db": {"repl": 5}}}),
            "data-pipeline:storage.classes.db.repl: 5 is not allowed (1..3)",
        ),
        (
            minimal_config(storage={"classes": {"db": {"ioProfile": "fast"}}}),
            'data-pipeline:storage.classes.db.ioProfile: "fast" is not allowed (one of '
            "'auto', 'db_remote', 'random', 'cms', 'sync_shared', 'none', 'journal', "
            "'auto_journal', 'db' or 'sequential')",
        ),
        (
            minimal_config(environment="qa"),
            "data-pipeline:environment: \"qa\" is not allowed (one of 'dev', 'staging' or 'prod')",
        ),
        (
            minimal_config(storage={"classes": {"db": {}}, "clases": {}}),
            "data-pipeline:storage.clases: unknown key (allowed here: classPrefix, classes, "
            "encryptionKeys, placement, snapshots, stork)",
        ),
        (
            minimal_config(storage={"classes": {"db": {"rep": 2, "secur": True}}}),
            "data-pipeline:storage.classes.db: unknown keys rep, secur (allowed here: "
            "allowVolumeExpansion, encryptionKey, fs, ioProfile, nodiscard, priorityIo, "
            "reclaimPolicy, repl, secure, sharedv4, zoneSpread)",
        ),
        (
            minimal_config(pipelines={"clicks": {"storage": {"fast": "1Gi"}}}),
            'data-pipeline:pipelines.clicks.storage.fast: "fast" is not allowed '
            "(a role declared in storage.classes: db)",
        ),
        (
            minimal_config(pipelines={"clicks": {"storage": {"db": "lots"}}}),
            'data-pipeline:pipelines.clicks.storage.db: "lots" is not allowed '
            "(a Kubernetes quantity such as 100Gi)",
        ),
        (
            minimal_config(pipelines={"Clicks": {"storage": {"db": "1Gi"}}}),
            'data-pipeline:pipelines.Clicks: "Clicks" is not allowed (a DNS-1035 label of at '
            "most 30 characters: lowercase letters, digits and '-', starting with a letter)",
        ),
        (
            minimal_config(pipelines={}),
            "data-pipeline:pipelines: an empty object is not allowed (at least one entry)",
        ),
        (
            minimal_config(storage={"classes": {"db": {"secure": "maybe"}}}),
            'data-pipeline:storage.classes.db.secure: "maybe" is not allowed '
            "(expected a valid boolean, unable to interpret input)",
        ),
        (
            minimal_config(storage={"classes": {"db": {"encryptionKey": "nokey"}}}),
            'data-pipeline:storage.classes.db.encryptionKey: "nokey" is not allowed '
            "(a key declared in storage.encryptionKeys: none declared)",
        ),
        (
            minimal_config(
                storage={"classes": {"db": {}}, "encryptionKeys": {"k": {"namespace": "px"}}}
            ),
            "data-pipeline:storage.encryptionKeys.k: set exactly one of passphrase, existingSecret",
        ),
        (
            minimal_config(storage={"classes": {"db": {}}, "placement": {"enforcement": "hard"}}),
            'data-pipeline:storage.placement.enforcement: "hard" is not allowed '
            "(one of 'required' or 'preferred')",
        ),
        (
            {"environment": "dev", "pipelines": {"clicks": {"storage": {"db": "1Gi"}}}},
            "data-pipeline:storage: required but not set",
        ),
        (
            minimal_config(storage="fast"),
            'data-pipeline:storage: "fast" is not allowed (expected an object of keys and values)',
        ),
        (
            minimal_config(storage={"classes": ["db"]}),
            "data-pipeline:storage.classes: a list is not allowed "
            "(expected an object of keys and values)",
        ),
        (
            minimal_config(kubernetes={"namespace": "Data_Pipeline"}),
            'data-pipeline:kubernetes.namespace: "Data_Pipeline" is not allowed (a DNS label '
            "of at most 30 characters: lowercase letters, digits and '-')",
        ),
        (
            minimal_config(
                storage={"classes": {"db": {}}, "encryptionKeys": {"k": {"passphrase": "x"}}},
                kubernetes={"renderDirectory": "out"},
            ),
            "data-pipeline:storage.encryptionKeys.k.passphrase: not allowed with "
            "kubernetes.renderDirectory: the rendered Secret would hold the passphrase in clear "
            "(use existingSecret)",
        ),
        (
            minimal_config(
                storage={
                    "classes": {"db": {}},
                    "encryptionKeys": {"k": {"passphrase": "x", "rotation": 0}},
                }
            ),
            "data-pipeline:storage.encryptionKeys.k.rotation: 0 is not allowed (1..999)",
        ),
        (
            minimal_config(kubernetes={"apiServer": {"cidrs": ["10.0.0.1"]}}),
            'data-pipeline:kubernetes.apiServer.cidrs[0]: "10.0.0.1" is not allowed '
            "(a CIDR block such as 10.0.0.0/16)",
        ),
        (
            minimal_config(kubernetes={"apiServer": {"ports": []}}),
            "data-pipeline:kubernetes.apiServer.ports: an empty list is not allowed "
            "(at least one entry)",
        ),
        (
            minimal_config(kubernetes={"apiServer": {"ports": "443"}}),
            'data-pipeline:kubernetes.apiServer.ports: "443" is not allowed (expected a list)',
        ),
    ],
)
def test_bad_value_gives_one_exact_message(raw, message):
    assert error_of(raw) == message


def test_lists_of_zones_cidrs_and_ports_name_each_once():
    raw = minimal_config(
        kubernetes={
            "zones": ["eu-west-1a", "eu-west-1b", "eu-west-1a"],
            "apiServer": {"cidrs": ["10.0.0.0/16", "10.0.0.0/16"], "ports": [443, 443]},
        }
    )
    assert error_of(raw) == "\n".join(
        [
            "data-pipeline:kubernetes.apiServer.cidrs: lists 10.0.0.0/16 2 times",
            "data-pipeline:kubernetes.apiServer.ports: lists 443 2 times",
            "data-pipeline:kubernetes.zones: lists eu-west-1a 2 times",
        ]
    )


def test_every_bad_value_is_reported_at_once():
    raw = minimal_config(environment="qa", storage={"classes": {"db": {"repl": 0, "fs": "btrfs"}}})
    assert error_of(raw).splitlines() == [
        "data-pipeline:environment: \"qa\" is not allowed (one of 'dev', 'staging' or 'prod')",
        "data-pipeline:storage.classes.db.repl: 0 is not allowed (1..3)",
        "data-pipeline:storage.classes.db.fs: \"btrfs\" is not allowed (one of 'ext4' or 'xfs')",
    ]


def test_a_bad_secret_is_never_echoed():
    raw = minimal_config(
        storage={"classes": {"db": {}}, "encryptionKeys": {"k": {"passphrase": 12345678}}}
    )
    message = error_of(raw)
    assert message == (
        "data-pipeline:storage.encryptionKeys.k.passphrase: [secret] is not allowed "
        "(expected a valid string)"
    )
    assert "12345678" not in message


def test_config_error_is_a_clean_pulumi_run_error():
    import pulumi

    with pytest.raises(pulumi.RunError):
        parse_config(minimal_config(environment="qa"))


@given(st.integers().filter(lambda n: not 1 <= n <= 3))
def test_any_repl_outside_one_to_three_is_rejected(repl):
    raw = minimal_config(storage={"classes": {"db": {"repl": repl}}})
    assert error_of(raw) == f"data-pipeline:storage.classes.db.repl: {repl} is not allowed (1..3)"


@given(st.integers(min_value=1, max_value=3))
def test_any_repl_from_one_to_three_is_accepted(repl):
    raw = minimal_config(storage={"classes": {"db": {"repl": repl}}})
    assert parse_config(raw).storage.classes["db"].repl == repl


def test_pulumi_scalar_strings_are_read_as_their_types():
    # Pulumi hands scalar config values to programs as strings.
    raw = minimal_config(storage={"classes": {"db": {"repl": "2", "secure": "false"}}})
    db = parse_config(raw).storage.classes["db"]
    assert (db.repl, db.secure) == (2, False)


def test_a_reference_and_the_rule_between_sections_are_reported_together():
    raw = minimal_config(
        storage={
            "classes": {"db": {"encryptionKey": "vault"}},
            "encryptionKeys": {"k": {"passphrase": "x"}},
        },
        pipelines={"clicks": {"storage": {"db": "1Gi", "fast": "1Gi"}}},
        kubernetes={"renderDirectory": "out"},
    )
    assert error_of(raw).splitlines() == [
        'data-pipeline:pipelines.clicks.storage.fast: "fast" is not allowed '
        "(a role declared in storage.classes: db)",
        'data-pipeline:storage.classes.db.encryptionKey: "vault" is not allowed '
        "(a key declared in storage.encryptionKeys: k)",
        "data-pipeline:storage.encryptionKeys.k.passphrase: not allowed with "
        "kubernetes.renderDirectory: the rendered Secret would hold the passphrase in clear "
        "(use existingSecret)",
    ]


def test_an_existing_secret_may_be_rendered():
    raw = minimal_config(
        storage={
            "classes": {"db": {}},
            "encryptionKeys": {"k": {"existingSecret": {"name": "s", "key": "p"}}},
        },
        kubernetes={"renderDirectory": "out"},
    )
    assert parse_config(raw).kubernetes.render_directory == "out"
