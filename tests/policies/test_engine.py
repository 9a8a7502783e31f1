"""Pack config resolution, as `--policy-pack-config` works: levels, settings, bad files."""

from __future__ import annotations

import json

import pytest

from policies.engine import PolicyConfigError, load_pack_config, resolve, settings_schema
from policies.pack import POLICIES


def levels(config: dict) -> dict[str, str]:
    return {r.policy.name: r.level for r in resolve(POLICIES, config)}


def test_each_policy_has_its_own_default_level():
    resolved = levels({})
    advisory = {"portworx-io-profile-current", "storage-cloud-snapshot-coverage"}
    assert {name for name, level in resolved.items() if level == "advisory"} == advisory
    assert {level for name, level in resolved.items() if name not in advisory} == {"mandatory"}


def test_all_sets_every_level_and_a_policy_entry_overrides_it():
    resolved = levels({"all": "advisory", "portworx-encryption": "mandatory"})
    assert resolved["portworx-encryption"] == "mandatory"
    assert resolved["storage-volume-expansion"] == "advisory"
    resolved = levels({"portworx-replication": {"enforcementLevel": "disabled", "minimum": 1}})
    assert resolved["portworx-replication"] == "disabled"


def test_settings_overlay_the_schema_defaults():
    (replication,) = [
        r
        for r in resolve(POLICIES, {"portworx-replication": {"minimum": 3}})
        if r.policy.name == "portworx-replication"
    ]
    assert replication.settings == {"minimum": 3, "roleMinimums": {}}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"all": "strict"},
            "all: enforcement level 'strict' is not one of advisory, mandatory, "
            "remediate, disabled",
        ),
        (
            {"portworx-replication": {"minimun": 2}},
            "portworx-replication: Additional properties "
            "are not allowed ('minimun' was unexpected)",
        ),
        (
            {"portworx-replication": {"roleMinimums": {"db": 4}}},
            "portworx-replication.roleMinimums.db: 4 is greater than the maximum of 3",
        ),
        ({"nope": "advisory"}, "unknown policies in config: nope"),
    ],
)
def test_bad_pack_config_is_rejected_with_its_path(config, message):
    with pytest.raises(PolicyConfigError) as caught:
        resolve(POLICIES, config)
    assert str(caught.value) == message


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_settings_schemas_are_valid_json_schema(policy):
    import jsonschema

    jsonschema.Draft7Validator.check_schema(settings_schema(policy))


def test_committed_stack_configs_are_valid():
    from tests.conftest import PROJECT_DIR, STACKS

    for stack in STACKS:
        resolve(POLICIES, load_pack_config(PROJECT_DIR / "policies" / "config" / f"{stack}.json"))


def test_prod_requires_three_copies_for_databases():
    from tests.conftest import PROJECT_DIR

    prod = json.loads((PROJECT_DIR / "policies" / "config" / "prod.json").read_text())
    assert prod["portworx-replication"]["roleMinimums"]["db"] == 3
    assert levels(prod)["portworx-encryption"] == "mandatory"


def test_unreadable_pack_config(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(PolicyConfigError, match=r"bad\.json: not valid JSON"):
        load_pack_config(bad)
    with pytest.raises(PolicyConfigError, match=r"missing\.json: cannot read"):
        load_pack_config(tmp_path / "missing.json")
