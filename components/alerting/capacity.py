"""The alert that stands in for Autopilot on Kafka: a claim larger than its node pool declares.

Autopilot never grows Kafka's claims: Strimzi compares each claim with its KafkaNodePool's
volume size and patches a larger claim back, a shrink the API server refuses, and every later
reconciliation of the cluster fails on it (strimzi #11007, #11909). Kafka's pools may still grow
under it, and a Kafka volume that fills is ``KafkaDiskUsageHigh`` (components/alerting/kafka.py):
both say to raise the node pool's size, the one change Strimzi makes to a claim itself. This
alert catches the other way there: a claim grown by anyone else (an Autopilot rule that matches
it after all, ``kubectl edit``) before Strimzi's next reconciliation turns it into a failure.

It reads kube-state-metrics' ``kube_persistentvolumeclaim_resource_requests_storage_bytes``
(labels ``namespace``, ``persistentvolumeclaim``): the requested size, which is what Strimzi
compares, where the kubelet's volume statistics report the filesystem's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.alerting.kafka import CLUSTER_LABEL
from components.alerting.promql import (
    Regex,
    alert,
    label,
    regex_escape,
    require_dns_label,
    selector,
)

CLAIM_REQUESTED_BYTES = "kube_persistentvolumeclaim_resource_requests_storage_bytes"


def kafka_claim_alert_groups(
    namespace: str, cluster: str, pool_sizes: Mapping[str, int]
) -> list[dict[str, Any]]:
    """PrometheusRule ``spec.groups`` for the claims of Kafka cluster ``cluster``: its node pools
    by name, with the bytes of each pool's volumes."""
    require_dns_label("namespace", namespace)
    require_dns_label("cluster", cluster)
    if not pool_sizes:
        raise ValueError(f"Kafka cluster {cluster}: no node pools to watch the claims of")
    where = f"Kafka cluster {cluster} in {namespace}"
    oversized = " or ".join(
        # Strimzi's claim names: data-<volume id>-<cluster>-<pool>-<n> (JBOD) or without the id.
        "max by (namespace, persistentvolumeclaim) ("
        + selector(
            CLAIM_REQUESTED_BYTES,
            namespace=namespace,
            persistentvolumeclaim=Regex(
                f"data-([0-9]+-)?{regex_escape(cluster)}-"
                f"{regex_escape(require_dns_label('pool', pool))}-[0-9]+"
            ),
        )
        + f") > {size}"
        for pool, size in sorted(pool_sizes.items())
    )
    return [
        {
            "name": f"kafka-claims-{namespace}-{cluster}",
            "rules": [
                alert(
                    "KafkaClaimLargerThanNodePool",
                    oversized,
                    duration="10m",
                    severity="warning",
                    summary=(
                        f"Kafka claim {label('persistentvolumeclaim')} is larger than its node "
                        "pool declares"
                    ),
                    description=(
                        f"Claim {label('persistentvolumeclaim')} of {where} requests more than "
                        "its KafkaNodePool's volume size: Strimzi patches it back, the API "
                        "server refuses the shrink and the cluster's reconciliation fails."
                    ),
                    runbook=(
                        "Raise the node pool's storage size in the stack config to at least the "
                        "claim's size (kubectl get pvc), then pulumi up; find what grew it "
                        "(kubectl get autopilotruleobjects -A)."
                    ),
                    labels={"namespace": namespace, CLUSTER_LABEL: cluster},
                )
            ],
        }
    ]
