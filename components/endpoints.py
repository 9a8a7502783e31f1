"""What one element hands another that talks to it, as plain values and Inputs.

A stage that reads Kafka or Elasticsearch needs where the service is, how to trust it, which
Secret holds its own credentials, and which pods to open its egress flow to; it needs nothing
else of the element, so it depends on these values, not on the element's component.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi

ELASTICSEARCH_PORT = 9200
KAFKA_TLS_PORT = 9093


@dataclass(frozen=True)
class ElasticsearchEndpoint:
    """A pipeline's Elasticsearch, as a client stage reaches it."""

    url: pulumi.Input[str]
    """``https://<es>-es-http.<namespace>.svc:9200``."""
    ca_secret: str
    """``<es>-es-http-certs-public`` (key ``ca.crt``)."""
    credentials_secret: str
    """The stage's basic-auth Secret (keys ``username``, ``password``)."""
    pods: Mapping[str, str]
    """Labels of the Elasticsearch pods, e.g. ``elasticsearch.k8s.elastic.co/cluster-name``."""
    port: int = ELASTICSEARCH_PORT
    ready: tuple[pulumi.Resource, ...] = ()
    """What the stage's pods wait for: the cluster, whose users' Secrets they mount."""


@dataclass(frozen=True)
class KafkaEndpoint:
    """A pipeline's Kafka, as a client stage reaches it over its TLS listener."""

    bootstrap: pulumi.Input[str]
    """``<cluster>-kafka-bootstrap.<namespace>.svc:9093``."""
    ca_secret: str
    """The cluster CA's Secret (key ``ca.crt``)."""
    user_secret: str
    """The stage's KafkaUser Secret (tls: ``user.crt``/``user.key``; scram: ``password``)."""
    authentication: str
    """``tls`` or ``scram-sha-512``: how the stage authenticates."""
    pods: Mapping[str, str]
    """Labels of the Kafka pods (``strimzi.io/cluster: <cluster>``), for the egress flow."""
    port: int = KAFKA_TLS_PORT
    ready: tuple[pulumi.Resource, ...] = ()
    """What the stage's pods wait for: the cluster, with the stage's KafkaUser and its Secret."""


def ready_to_read(
    kafka: KafkaEndpoint | None, elasticsearch: ElasticsearchEndpoint | None
) -> list[pulumi.Resource]:
    """What a stage's pods wait for: the clusters they read, whose users' Secrets they mount."""
    return [
        *(kafka.ready if kafka is not None else ()),
        *(elasticsearch.ready if elasticsearch is not None else ()),
    ]
