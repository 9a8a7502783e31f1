"""The resource record: kinds by group and kind, and typed reading of inputs."""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions

import pytest

from policies.record import Field, Kind, PropError, Resource, UnknownValue, kind_of
from tests.conftest import PROJECT_DIR


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("kubernetes:storage.k8s.io/v1:StorageClass", Kind("storage.k8s.io", "StorageClass")),
        ("kubernetes:storage.k8s.io/v1beta1:StorageClass", Kind("storage.k8s.io", "StorageClass")),
        ("kubernetes:core/v1:PersistentVolumeClaim", Kind("core", "PersistentVolumeClaim")),
        (
            "kubernetes:kafka.strimzi.io/v1beta2:KafkaNodePool",
            Kind("kafka.strimzi.io", "KafkaNodePool"),
        ),
        ("kubernetes:yaml:ConfigFile", None),
        ("pulumi:providers:kubernetes", None),
        ("data-pipeline:storage:PortworxStorage", None),
        ("aws:s3/bucket:Bucket", Kind("aws:s3", "Bucket")),
        ("aws:iam/rolePolicy:RolePolicy", Kind("aws:iam", "RolePolicy")),
        ("pulumi:providers:aws", None),
    ],
)
def test_kinds_are_group_and_kind_whatever_the_version(token, kind):
    assert kind_of(token) == kind


def resource(props: dict) -> Resource:
    return Resource("kubernetes:core/v1:Pod", "web", props, "urn:pod")


def test_absent_objects_have_absent_fields():
    assert resource({}).at("spec", "template", "spec", "volumes").items() == []
    assert resource({"spec": None}).at("spec", "nodeName").text() is None


def test_paths_bracket_keys_that_are_not_plain_names():
    field = resource({}).at("metadata", "annotations", "volume.beta.kubernetes.io/storage-class")
    assert field.path == 'metadata.annotations["volume.beta.kubernetes.io/storage-class"]'
    (volume,) = resource({"spec": {"volumes": [{}]}}).at("spec", "volumes").items()
    assert volume.at("ephemeral").path == "spec.volumes[0].ephemeral"


@pytest.mark.parametrize(
    ("props", "read", "message"),
    [
        (
            {"spec": "x"},
            lambda r: r.at("spec", "volumes").items(),
            "spec should be an object, not the string 'x'",
        ),
        (
            {"spec": {"volumes": {}}},
            lambda r: r.at("spec", "volumes").items(),
            "spec.volumes should be a list, not an object",
        ),
        (
            {"spec": {"volumes": "ab"}},
            lambda r: r.at("spec", "volumes").items(),
            "spec.volumes should be a list, not the string 'ab'",
        ),
        (
            {"spec": {"hostNetwork": "true"}},
            lambda r: r.at("spec", "hostNetwork").flag(),
            "spec.hostNetwork should be true or false, not the string 'true'",
        ),
        (
            {"spec": {"nodeName": False}},
            lambda r: r.at("spec", "nodeName").text(),
            "spec.nodeName should be a string, not false",
        ),
        (
            {"spec": {"priority": True}},
            lambda r: r.at("spec", "priority").number(),
            "spec.priority should be a number, not true",
        ),
        (
            {"spec": {}},
            lambda r: r.at("spec", "nodeName").required_text(),
            "spec.nodeName is missing",
        ),
        (
            {"spec": {"nodeName": "x" * 50}},
            lambda r: r.at("spec", "nodeName").flag(),
            f"spec.nodeName should be true or false, not the string '{'x' * 40}...'",
        ),
    ],
)
def test_badly_shaped_fields_name_the_resource_and_the_field(props, read, message):
    with pytest.raises(PropError) as caught:
        read(resource(props))
    assert str(caught.value) == f'kubernetes:core/v1:Pod "web": {message}'


@pytest.mark.parametrize(
    ("value", "hidden"),
    [
        ("[secret]", "is secret"),
        ("04da6b54-80e4-46f7-96ec-b56ff0331ba9", "is not known until the update runs"),
        ("dd056dcd-154b-4c76-9bd3-c8f88648b5ff", "is not known until the update runs"),
    ],
)
def test_hidden_values_are_unknown_whatever_type_is_expected(value, hidden):
    for read in (Field.text, Field.object, Field.items, Field.flag, Field.required):
        with pytest.raises(UnknownValue) as caught:
            read(resource({"spec": value}).at("spec"))
        assert str(caught.value) == f'kubernetes:core/v1:Pod "web": spec {hidden}'
        assert caught.value.urn == "urn:pod"
    with pytest.raises(UnknownValue):
        resource({"spec": value}).at("spec", "volumes")


def test_no_pack_module_shadows_another_module():
    # Pulumi runs the pack with policies/ first on sys.path: a policies/kafka.py would be what
    # every `import kafka` found, a policies/resource.py the standard library's resource.
    names = {path.stem for path in (PROJECT_DIR / "policies").glob("*.py")} - {
        "__init__",
        "__main__",
    }
    taken = set(sys.stdlib_module_names) | set(packages_distributions())
    assert names & taken == set()
    assert {"record", "catalog", "claims", "strimzi", "eck"} <= names


def test_the_record_module_imports_only_the_standard_library():
    tree = ast.parse((PROJECT_DIR / "policies" / "record.py").read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported - {"__future__"} <= set(sys.stdlib_module_names)
