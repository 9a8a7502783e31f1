"""How every element plugs into an existing Prometheus (Prometheus operator).

An element hands its scrape specs and alert groups to :class:`Monitoring`, which registers the
PodMonitor/ServiceMonitor and PrometheusRule with the labels the Prometheus selects on, and gives
the element the network flow that lets Prometheus (and nothing else) reach its metrics port.
What is scraped and alerted on lives with each element (``components/alerting``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.k8s import CustomObject
from components.network import Flow, Peer

MONITORING_API = "monitoring.coreos.com/v1"


@dataclass(frozen=True)
class Monitoring:
    """The Prometheus that watches the stack: where it runs and what it selects."""

    prometheus_namespace: str
    prometheus_pods: Mapping[str, str]
    """Labels of the Prometheus pods: the peer of every metrics flow."""
    selector_labels: Mapping[str, str]
    """Labels the Prometheus selects monitors and rules by (e.g. ``release``)."""
    ready: tuple[pulumi.Resource, ...] = ()
    """What every monitor and rule depends on: the Prometheus operator's CRDs."""

    def scrape_flow(self, ports: Sequence[int]) -> Flow:
        """Ingress from Prometheus to an element's metrics ports."""
        return Flow(
            "Prometheus scrapes metrics",
            (Peer(pods=self.prometheus_pods, namespace=self.prometheus_namespace),),
            tuple(ports),
        )

    def create_monitor(
        self,
        resource_name: str,
        *,
        kind: str,
        name: str,
        namespace: pulumi.Input[str],
        labels: Mapping[str, str],
        spec: Mapping[str, Any],
        opts: pulumi.ResourceOptions,
    ) -> CustomObject:
        """A PodMonitor or ServiceMonitor that the Prometheus selects."""
        return CustomObject(
            resource_name,
            MONITORING_API,
            kind,
            {"metadata": self._metadata(name, namespace, labels), "spec": dict(spec)},
            self._after_crds(opts),
        )

    def create_alert_rules(
        self,
        resource_name: str,
        *,
        name: str,
        namespace: pulumi.Input[str],
        labels: Mapping[str, str],
        groups: pulumi.Input[Sequence[Mapping[str, Any]]],
        opts: pulumi.ResourceOptions,
    ) -> CustomObject:
        """A PrometheusRule with the element's alert groups."""
        return CustomObject(
            resource_name,
            MONITORING_API,
            "PrometheusRule",
            {
                "metadata": self._metadata(name, namespace, labels),
                "spec": {"groups": groups},
            },
            self._after_crds(opts),
        )

    def watch_pods(
        self,
        resource_prefix: str,
        *,
        name: str,
        namespace: pulumi.Output[str],
        labels: Mapping[str, str],
        pod_monitor: Mapping[str, Any],
        alert_groups: Callable[[str], Sequence[Mapping[str, Any]]],
        opts: pulumi.ResourceOptions,
    ) -> None:
        """An element's PodMonitor and its PrometheusRule, both named ``name``.

        ``alert_groups`` is given the namespace's name: every alert selects its own pipeline's
        namespace, so two pipelines' alerts never mix.
        """
        self.create_monitor(
            f"{resource_prefix}-pod-monitor",
            kind="PodMonitor",
            name=name,
            namespace=namespace,
            labels=labels,
            spec=pod_monitor,
            opts=opts,
        )
        self.create_alert_rules(
            f"{resource_prefix}-alerts",
            name=name,
            namespace=namespace,
            labels=labels,
            groups=namespace.apply(alert_groups),
            opts=opts,
        )

    def _after_crds(self, opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(depends_on=list(self.ready))
        )

    def _metadata(
        self, name: str, namespace: pulumi.Input[str], labels: Mapping[str, str]
    ) -> dict[str, Any]:
        return {
            "name": name,
            "namespace": namespace,
            "labels": {**labels, **self.selector_labels},
        }
