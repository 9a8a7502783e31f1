"""The ``monitoring`` section: how an existing Prometheus (Prometheus operator) finds us."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from pipeline.config.base import ConfigModel, DnsLabel, LabelKey


class MonitoringConfig(ConfigModel):
    """PodMonitors, ServiceMonitors and PrometheusRules for every element."""

    enabled: bool = True
    """Create the monitors and alert rules (needs the Prometheus operator's CRDs)."""
    namespace: DnsLabel = "monitoring"
    """Namespace Prometheus runs in: the only one allowed to reach the metrics ports."""
    prometheus_pods: Annotated[
        dict[LabelKey, str],
        Field(min_length=1, default_factory=lambda: {"app.kubernetes.io/name": "prometheus"}),
    ]
    """Labels of the Prometheus pods, for the metrics-port network flows."""
    selector_labels: dict[LabelKey, str] = Field(default_factory=dict)
    """Labels put on every monitor and rule so that the Prometheus selects them, e.g.
    ``release: kube-prometheus-stack`` for kube-prometheus-stack's defaults."""
    portworx_namespace: DnsLabel = "portworx"
    """Namespace of the Portworx service whose metrics are scraped."""
