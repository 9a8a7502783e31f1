"""PipelineNamespace under mocks: restricted pods, storage quotas by role, isolation."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from components.quantities import format_bytes, quantity_bytes
from tests.conftest import by_name, minimal_config, of_kind, run_with_config


def two_role_run(**kubernetes):
    return run_with_config(
        minimal_config(
            storage={"classes": {"db": {}, "scratch": {"repl": 1}, "shared": {"sharedv4": True}}},
            pipelines={
                "clicks": {"storage": {"db": "100Gi", "scratch": "512Mi"}},
                "logs": {"storage": {"shared": "1Ti"}},
            },
            kubernetes={"namespace": "dp", **kubernetes},
        )
    )


def class_names(run) -> dict[str, str]:
    return run.outputs["storageClasses"]


def test_each_pipeline_gets_a_restricted_namespace():
    run = two_role_run()
    namespaces = by_name(of_kind(run, "Namespace"))
    assert set(namespaces) == {"clicks", "logs"}
    labels = namespaces["clicks"].props["metadata"]["labels"]
    assert namespaces["clicks"].props["metadata"]["name"] == "dp-clicks"
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    assert labels["data-pipeline.io/pipeline"] == "clicks"


def test_quota_opens_only_the_roles_a_pipeline_asked_for():
    run = two_role_run()
    names = class_names(run)
    quota = by_name(of_kind(run, "ResourceQuota"))["clicks-storage"].props
    assert quota["metadata"]["namespace"] == "dp-clicks"
    hard = quota["spec"]["hard"]
    per_class = "{}.storageclass.storage.k8s.io/requests.storage"
    assert hard == {
        per_class.format(names["db"]): "100Gi",
        per_class.format(names["scratch"]): "512Mi",
        per_class.format(names["shared"]): "0",
        "requests.storage": "102912Mi",  # 100Gi + 512Mi: caps claims on any other class too
    }


def test_default_requests_and_limits_for_containers():
    run = two_role_run()
    (limits,) = by_name(of_kind(run, "LimitRange"))["clicks-defaults"].props["spec"]["limits"]
    assert limits["type"] == "Container"
    assert set(limits["defaultRequest"]) == set(limits["default"]) == {"cpu", "memory"}


def test_pods_may_use_dns_and_nothing_else_until_an_element_opens_a_flow():
    run = two_role_run()
    policies = by_name(r for r in of_kind(run, "NetworkPolicy") if r.component == "clicks")
    assert set(policies) == {"clicks-default-deny", "clicks-dns"}
    deny = policies["clicks-default-deny"].props["spec"]
    assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    dns = policies["clicks-dns"].props["spec"]
    assert dns == {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [
                    {
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                        },
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }
        ],
    }


def test_namespaced_objects_wait_for_their_namespace():
    run = two_role_run()
    namespace_urn = by_name(of_kind(run, "Namespace"))["clicks"].urn
    for resource in run.resources:
        if (
            resource.custom
            and resource.component == "clicks"
            and resource.type != "kubernetes:core/v1:Namespace"
        ):
            assert namespace_urn in resource.dependencies, resource.name


def test_namespaces_are_retained_on_destroy_unless_told_otherwise():
    assert all(ns.retain_on_delete for ns in of_kind(two_role_run(), "Namespace"))
    run = two_role_run(retainOnDelete=False)
    assert not any(ns.retain_on_delete for ns in of_kind(run, "Namespace"))


GUARD_RAILS = ("ResourceQuota", "LimitRange", "NetworkPolicy")


def test_a_retained_namespace_keeps_its_guard_rails():
    run = two_role_run()
    guard_rails = [r for kind in GUARD_RAILS for r in of_kind(run, kind)]
    assert len(guard_rails) == 8  # two pipelines: quota, limits, default-deny, dns
    assert all(r.retain_on_delete for r in guard_rails)
    run = two_role_run(retainOnDelete=False)
    assert not any(r.retain_on_delete for kind in GUARD_RAILS for r in of_kind(run, kind))


def test_the_namespace_keeps_its_urn_under_the_pipeline_component():
    # The namespace component moved under Pipeline: an alias to its old parent (the stack) keeps
    # its URN, so a deployed stack sees no replace. Objects keep their logical names too.
    run = two_role_run()
    (component,) = [
        r
        for r in run.resources
        if r.type == "data-pipeline:tenancy:PipelineNamespace" and r.name == "clicks"
    ]
    assert component.aliases == (
        "urn:pulumi:test::data-pipeline::data-pipeline:tenancy:PipelineNamespace::clicks",
    )


@given(st.integers(min_value=0, max_value=2**60))
def test_format_bytes_states_the_exact_amount(count):
    assert quantity_bytes(format_bytes(count)) == count


def test_quantity_bytes_reads_binary_and_decimal_suffixes():
    assert quantity_bytes("1Ki") == 1024
    assert quantity_bytes("1k") == 1000
    assert quantity_bytes("1.5Gi") == 3 * 2**29
    assert quantity_bytes("2Ti") == 2 * 2**40
