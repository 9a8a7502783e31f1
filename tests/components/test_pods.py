"""Shared pod hardening: restricted contexts, zone spread, checked resources, quantities."""

from __future__ import annotations

from decimal import Decimal

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.pods import (
    STORK_SCHEDULER,
    ZONE_TOPOLOGY_KEY,
    Resources,
    restricted_container_security_context,
    restricted_pod_security_context,
    zone_spread,
)
from components.quantities import parse_quantity
from tests.schemas import validate_builtin


def pod(**spec) -> dict:
    container = {
        "name": "app",
        "image": "registry.example/app:1",
        "securityContext": restricted_container_security_context(),
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "app", "labels": {"app": "demo"}},
        "spec": {"containers": [container], **spec},
    }


def test_hardened_pod_is_valid_kubernetes():
    manifest = pod(
        securityContext=restricted_pod_security_context(fs_group=0),
        schedulerName=STORK_SCHEDULER,
        topologySpreadConstraints=zone_spread({"app": "demo"}),
    )
    manifest["spec"]["containers"][0]["resources"] = Resources(
        requests={"cpu": "250m", "memory": "1Gi"}, limits={"memory": "1Gi"}
    ).to_dict()
    assert validate_builtin(manifest) is True


def test_a_misspelt_field_fails_the_same_validation():
    manifest = pod(securityContext={**restricted_pod_security_context(), "runAsNonroot": True})
    with pytest.raises(jsonschema.ValidationError, match=r"'runAsNonroot' was unexpected"):
        validate_builtin(manifest)


def test_restricted_contexts():
    assert restricted_pod_security_context() == {
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert restricted_pod_security_context(fs_group=0)["fsGroup"] == 0
    assert restricted_container_security_context() == {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def test_contexts_are_fresh_copies():
    first = restricted_container_security_context()
    first["capabilities"]["drop"].append("NET_RAW")
    first["seccompProfile"]["type"] = "Unconfined"
    assert restricted_container_security_context()["capabilities"] == {"drop": ["ALL"]}
    assert restricted_pod_security_context()["seccompProfile"] == {"type": "RuntimeDefault"}


def test_zone_spread_is_strict_by_default():
    assert zone_spread({"strimzi.io/cluster": "events"}) == [
        {
            "maxSkew": 1,
            "topologyKey": ZONE_TOPOLOGY_KEY,
            "whenUnsatisfiable": "DoNotSchedule",
            "labelSelector": {"matchLabels": {"strimzi.io/cluster": "events"}},
        }
    ]


def test_zone_spread_can_prefer_instead_of_require():
    (constraint,) = zone_spread({"app": "es"}, "example.com/rack", strict=False)
    assert constraint["whenUnsatisfiable"] == "ScheduleAnyway"
    assert constraint["topologyKey"] == "example.com/rack"


def test_resources_block_leaves_out_empty_parts():
    assert Resources(requests={"cpu": "1"}).to_dict() == {"requests": {"cpu": "1"}}
    assert Resources(limits={"memory": "2Gi"}).to_dict() == {"limits": {"memory": "2Gi"}}
    assert Resources().to_dict() == {}


def test_request_above_limit_is_refused():
    with pytest.raises(ValueError, match=r"^memory request 2Gi is above its limit 2000Mi$"):
        Resources(requests={"memory": "2Gi"}, limits={"memory": "2000Mi"})


def test_requests_compare_across_units():
    resources = Resources(requests={"cpu": "500m", "memory": "1G"}, limits={"cpu": "0.5"})
    assert resources.limits == {"cpu": "0.5"}  # equal is allowed; memory has no limit to compare


def test_invalid_quantity_is_refused():
    with pytest.raises(ValueError, match=r"^not a Kubernetes quantity: '1GB'$"):
        Resources(limits={"memory": "1GB"})


@pytest.mark.parametrize(
    ("quantity", "value"),
    [
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        ("1.5Gi", Decimal(3 * 2**29)),
        ("1Ki", Decimal(1024)),
        ("1k", Decimal(1000)),
        ("1M", Decimal(10**6)),
        ("1E", Decimal(10**18)),
        ("1Ei", Decimal(2**60)),
        ("1e3", Decimal(1000)),
        ("25e-1", Decimal("2.5")),
        ("100n", Decimal("1E-7")),
    ],
)
def test_parse_quantity(quantity, value):
    assert parse_quantity(quantity) == value


@pytest.mark.parametrize("quantity", ["", "1GB", "2 Gi", "Gi", "1e", "1.2.3", "1Mi ", 5])
def test_parse_quantity_refuses(quantity):
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse_quantity(quantity)


@given(st.integers(min_value=0, max_value=2**40), st.sampled_from(["Ki", "Mi", "Gi", "k", "M"]))
def test_binary_and_decimal_suffixes_scale_exactly(count, suffix):
    factor = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 10**3, "M": 10**6}[suffix]
    assert parse_quantity(f"{count}{suffix}") == count * factor
