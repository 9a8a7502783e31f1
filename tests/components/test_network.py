"""Element network flows rendered as a NetworkPolicy, and the project's provider guard."""

from __future__ import annotations

import pulumi
import yaml

from components.network import ElementFlows, Flow, Peer, create_flow_policy, kubernetes_api_flow
from pipeline.offline import run_program
from tests.conftest import PROJECT_DIR, run_with_config
from tests.schemas import validate_builtin

BROKERS = {"app": "broker"}
FLOWS = ElementFlows(
    pods=BROKERS,
    ingress=(
        Flow("clients of the pipeline", (Peer(pods={"role": "client"}),), (9093,)),
        Flow("the operator", (Peer(namespace="operators"),), (9090, 9091)),
    ),
    egress=(kubernetes_api_flow(("10.0.0.0/24",), (443,)),),
)


def flow_policy(flows: ElementFlows) -> dict:
    def program() -> None:
        create_flow_policy(
            "kafka-flows",
            element="kafka",
            namespace="dp-clicks",
            labels={"a": "b"},
            flows=flows,
            opts=pulumi.ResourceOptions(),
        )

    (policy,) = run_program(program, project="p", stack="s", config={}).resources
    return policy.props


def test_an_element_opens_exactly_its_declared_flows():
    props = flow_policy(FLOWS)
    assert props["metadata"]["name"] == "allow-kafka"
    assert props["spec"] == {
        "podSelector": {"matchLabels": BROKERS},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [
            {
                "from": [{"podSelector": {"matchLabels": {"role": "client"}}}],
                "ports": [{"protocol": "TCP", "port": 9093}],
            },
            {
                "from": [
                    {
                        "podSelector": {"matchLabels": {}},
                        "namespaceSelector": {
                            "matchLabels": {"kubernetes.io/metadata.name": "operators"}
                        },
                    }
                ],
                "ports": [{"protocol": "TCP", "port": 9090}, {"protocol": "TCP", "port": 9091}],
            },
        ],
        "egress": [
            {
                "to": [{"ipBlock": {"cidr": "10.0.0.0/24"}}],
                "ports": [{"protocol": "TCP", "port": 443}],
            }
        ],
    }
    assert props["metadata"]["annotations"] == {
        "data-pipeline.io/ingress-0": "clients of the pipeline",
        "data-pipeline.io/ingress-1": "the operator",
        "data-pipeline.io/egress-0": "reach the Kubernetes API",
    }
    assert validate_builtin(props)


def test_an_element_without_egress_leaves_egress_to_the_default_deny():
    props = flow_policy(ElementFlows(pods=BROKERS, ingress=FLOWS.ingress))
    assert props["spec"]["policyTypes"] == ["Ingress"]
    assert "egress" not in props["spec"]


def test_default_providers_are_disabled_and_every_resource_names_its_provider():
    project = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text())
    assert project["config"]["pulumi:disable-default-providers"] == {"value": ["*"]}
    # prod: every kind of resource the program makes (Kubernetes, AWS, generated passwords).
    prod = yaml.safe_load((PROJECT_DIR / "Pulumi.prod.yaml").read_text())["config"]
    run = run_with_config({key.split(":", 1)[1]: value for key, value in prod.items()}, "prod")
    custom = [r for r in run.resources if r.custom and not r.type.startswith("pulumi:providers:")]
    assert {r.type.split(":", 1)[0] for r in custom} == {"kubernetes", "aws", "random"}
    assert custom
    assert all(r.provider.startswith("urn:pulumi:") for r in custom), [
        r.name for r in custom if not r.provider
    ]
