"""The index element: a pipeline's Elasticsearch cluster (ECK) on Portworx volumes.

Follows the pattern of the Kafka element: storage by role from the catalog, custom resources
that wait for their operator, hardened pods on the Stork scheduler when the stack enables it,
least-privilege users for the pipeline's stages, its own network flows, monitors and alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.alerting.elasticsearch import (
    EXPORTER_NAME,
    EXPORTER_PORT,
    ElasticsearchAlertSettings,
    elasticsearch_alert_groups,
    elasticsearch_pod_monitor_spec,
    exporter_labels,
)
from components.eck import (
    CLUSTER_NAME_LABEL,
    HTTP_PORT,
    KIBANA_NAME_LABEL,
    STATEFULSET_NAME_LABEL,
    TRANSPORT_PORT,
    ClusterSpec,
    EckNames,
    IndexAccess,
    KibanaSpec,
    NodeRole,
    NodeSet,
    Role,
    client_role,
    elasticsearch_body,
    exporter_deployment_spec,
    kibana_body,
    node_set_name,
    roles_yaml,
)
from components.k8s import CustomObject
from components.labels import STAGE_LABEL
from components.monitoring import Monitoring
from components.namespace import PipelineNamespace
from components.network import ElementFlows, Flow, Peer, create_flow_policy
from components.operators import Operator
from components.pods import Resources
from components.storage import ProvisionedClass
from components.stork import eck_claim

# ECK's status.phase is "Ready" once the cluster runs the desired spec (not while it applies
# changes or migrates data off a nodeSet being replaced). Elasticsearch has no Ready
# condition, and waiting for health green would hang a dev cluster whose replicas cannot be
# assigned on one node: the phase says what Pulumi needs to know, that ECK is done.
WAIT_FOR_ELASTICSEARCH = {"pulumi.com/waitFor": "jsonpath={.status.phase}=Ready"}
# Kibana reports no phase; its health is green once all its pods are available.
WAIT_FOR_KIBANA = {"pulumi.com/waitFor": "jsonpath={.status.health}=green"}
# The exporter's file-realm user; a client stage may not take this name.
EXPORTER_USER = "metrics-exporter"
# The user of the pre-snapshot flush (components.protection): maintenance on every index.
FLUSH_USER = "snapshot-flush"
_PASSWORD_LENGTH = 32


@dataclass(frozen=True)
class ElasticsearchNodesArgs:
    """One nodeSet's size."""

    count: int
    storage: str
    """Size of each node's data volume; it can grow in place, never shrink."""
    resources: Resources
    heap: str


@dataclass(frozen=True)
class ElasticsearchClientArgs:
    """A client stage: whether it writes or reads, and the index patterns it may touch."""

    privileges: str
    """write or read."""
    indices: tuple[str, ...]


@dataclass(frozen=True)
class KibanaArgs:
    count: int
    resources: Resources


@dataclass(frozen=True)
class ElasticsearchClusterArgs:
    """Inputs of :class:`ElasticsearchCluster`."""

    namespace: PipelineNamespace
    data_storage: ProvisionedClass
    """The catalog class of the data nodes' role."""
    master_storage: ProvisionedClass
    """The catalog class of the dedicated masters' role (unused with combined nodes)."""
    operator: Operator
    """ECK: every custom resource waits for it."""
    operator_namespace: str
    """Where ECK runs: it alone, besides the stages, reaches the HTTP port."""
    version: str
    combined: bool
    """One nodeSet of master-eligible data nodes (dev only), sized by ``data``."""
    masters: ElasticsearchNodesArgs
    data: ElasticsearchNodesArgs
    http_tls: bool
    allow_mmap: bool
    topology_key: str
    zones: tuple[str, ...]
    use_stork: bool
    kibana: KibanaArgs | None
    """None: no Kibana."""
    clients: Mapping[str, ElasticsearchClientArgs]
    monitoring: Monitoring | None
    """None: no exporter, monitors or alerts (monitoring disabled for the stack)."""
    snapshot_flush: bool = False
    """A user that may flush every index, mounted in the nodes for Stork's pre-snapshot Rule."""

    def __post_init__(self) -> None:
        if EXPORTER_USER in self.clients:
            raise ValueError(f"client name {EXPORTER_USER!r} is the exporter's user")
        if FLUSH_USER in self.clients:
            raise ValueError(f"client name {FLUSH_USER!r} is the snapshot flush's user")
        for client, spec in self.clients.items():
            if spec.privileges not in tuple(IndexAccess):
                raise ValueError(
                    f"client {client}: privileges must be write or read, got {spec.privileges!r}"
                )


class ElasticsearchCluster(pulumi.ComponentResource):
    """An ECK Elasticsearch cluster with its stage users, exporter, flows and alerts.

    NodeSets are named after the digest of their StorageClass, because ECK never changes the
    class of a nodeSet's claims: a change of a role's class makes a new nodeSet on the new class,
    and the old one leaves the body; ECK moves its shards to the new nodes before deleting it.
    """

    url: pulumi.Output[str]
    """``https://<es>-es-http.<namespace>.svc:9200``."""
    ca_secret: str
    """Secret with the CA of the HTTP certificate (key ``ca.crt``)."""
    pods: dict[str, str]
    """Labels selecting the Elasticsearch pods (for other elements' egress flows)."""
    claims: dict[str, str]
    """Each claim the cluster's nodes get (``<template>-<es>-es-<nodeSet>-<n>``) -> its
    storage role: what snapshot schedules cover."""
    claim_labels: dict[str, str]
    """Labels the data nodes' claims carry, and only they: the StatefulSet controller copies its
    selector's labels (ECK's cluster and StatefulSet names) onto each claim it creates. What
    Autopilot grows: the masters' claims hold only cluster state."""

    def __init__(
        self, name: str, args: ElasticsearchClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("data-pipeline:index:ElasticsearchCluster", name, None, opts)
        self._name = name
        self._args = args
        self._labels = args.namespace.labels
        self._names = EckNames(name)
        self._after_operator = pulumi.ResourceOptions(parent=self, depends_on=args.operator.ready)
        self.pods = {CLUSTER_NAME_LABEL: name}
        self._kibana_name = f"{name}-kibana"

        roles = [
            client_role(f"{client}-{spec.privileges}", IndexAccess(spec.privileges), spec.indices)
            for client, spec in args.clients.items()
        ]
        monitor_role = Role(f"{EXPORTER_USER}-monitor", ("monitor",))
        if args.monitoring is not None:
            roles.append(monitor_role)
        secrets = [
            self._create_user(client, f"{client}-{spec.privileges}")
            for client, spec in args.clients.items()
        ]
        if args.monitoring is not None:
            secrets.append(self._create_user(EXPORTER_USER, monitor_role.name))
        flush_secret = None
        if args.snapshot_flush:
            flush_role = Role(f"{FLUSH_USER}-maintenance", (), ("*",), ("maintenance",))
            roles.append(flush_role)
            flush_secret = self._create_user(FLUSH_USER, flush_role.name)
            secrets.append(flush_secret)
        roles_secret = self._create_roles(roles) if roles else None

        spec = ClusterSpec(
            name=name,
            namespace=args.namespace.name,
            version=args.version,
            http_tls=args.http_tls,
            allow_mmap=args.allow_mmap,
            topology_key=args.topology_key,
            zones=args.zones,
            use_stork=args.use_stork,
            labels=self._labels,
            user_secrets=tuple(secret.metadata.name for secret in secrets),
            role_secrets=(roles_secret.metadata.name,) if roles_secret else (),
            flush_secret=flush_secret.metadata.name if flush_secret else None,
        )
        node_sets = self._node_sets()
        data_node_set = next(ns for ns, _ in node_sets if NodeRole.DATA in ns.roles)
        self.claim_labels = {
            CLUSTER_NAME_LABEL: name,
            STATEFULSET_NAME_LABEL: f"{name}-es-{data_node_set.name}",
        }
        self.claims = {
            eck_claim(name, node_set.name, ordinal): storage.role
            for node_set, storage in node_sets
            for ordinal in range(node_set.count)
        }
        elasticsearch = self._create_custom(
            "Elasticsearch",
            name,
            elasticsearch_body(spec, [node_set for node_set, _ in node_sets]),
            [*secrets, *([roles_secret] if roles_secret else [])],
            WAIT_FOR_ELASTICSEARCH,
        )
        if args.kibana is not None:
            kibana = KibanaSpec(
                self._kibana_name, args.kibana.count, args.kibana.resources, args.version
            )
            self._create_custom(
                "Kibana",
                self._kibana_name,
                kibana_body(spec, kibana),
                [elasticsearch],
                WAIT_FOR_KIBANA,
            )
        self._create_flows()
        if args.monitoring is not None:
            self._create_monitoring(args.monitoring, [elasticsearch])

        self.url = pulumi.Output.concat(
            "https://" if args.http_tls else "http://",
            self._names.http_service,
            ".",
            args.namespace.name,
            f".svc:{HTTP_PORT}",
        )
        self.ca_secret = self._names.ca_secret
        self.register_outputs(
            {
                "url": self.url,
                "caSecret": self.ca_secret,
                "users": {client: self.user_secret(client) for client in args.clients},
            }
        )

    def user_secret(self, client: str) -> str:
        """The ``kubernetes.io/basic-auth`` Secret of a client stage (keys username, password)."""
        return f"{self._name}-{client}-es-user"

    def _node_sets(self) -> list[tuple[NodeSet, ProvisionedClass]]:
        """Each nodeSet, with the class of its claims."""
        args = self._args
        if args.combined:
            layout = [
                (
                    "combined",
                    (NodeRole.MASTER, NodeRole.DATA, NodeRole.INGEST),
                    args.data,
                    args.data_storage,
                ),
            ]
        else:
            layout = [
                ("masters", (NodeRole.MASTER,), args.masters, args.master_storage),
                ("data", (NodeRole.DATA, NodeRole.INGEST), args.data, args.data_storage),
            ]
        return [
            (
                NodeSet(
                    name=node_set_name(function, storage.digest),
                    roles=roles,
                    count=nodes.count,
                    storage_class=storage.name,
                    volume_size=nodes.storage,
                    resources=nodes.resources,
                    heap=nodes.heap,
                ),
                storage,
            )
            for function, roles, nodes, storage in layout
        ]

    def _create_user(self, username: str, role: str) -> k8s.core.v1.Secret:
        """A file-realm user: a basic-auth Secret with a generated password and its one role."""
        password = random.RandomPassword(
            f"{self._name}-{username}-es-password",
            length=_PASSWORD_LENGTH,
            # Letters and digits only: the password goes into URLs and config files unescaped.
            special=False,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return k8s.core.v1.Secret(
            f"{self._name}-{username}-es-user",
            metadata={
                "name": self.user_secret(username),
                "namespace": self._args.namespace.name,
                "labels": self._labels,
            },
            type="kubernetes.io/basic-auth",
            string_data={
                "username": username,
                "password": pulumi.Output.secret(password.result),
                "roles": role,
            },
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_roles(self, roles: list[Role]) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            f"{self._name}-es-roles",
            metadata={
                "name": f"{self._name}-es-roles",
                "namespace": self._args.namespace.name,
                "labels": self._labels,
            },
            type="Opaque",
            string_data={"roles.yml": roles_yaml(roles)},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_custom(
        self,
        kind: str,
        resource_name: str,
        body: dict[str, Any],
        depends_on: list[pulumi.Resource],
        annotations: Mapping[str, str],
    ) -> CustomObject:
        metadata = body["metadata"]
        metadata["annotations"] = {**metadata.get("annotations", {}), **annotations}
        return CustomObject(
            resource_name,
            body["apiVersion"],
            kind,
            {key: value for key, value in body.items() if key not in ("apiVersion", "kind")},
            pulumi.ResourceOptions.merge(
                self._after_operator, pulumi.ResourceOptions(depends_on=depends_on)
            ),
        )

    def _create_flows(self) -> None:
        args = self._args
        nodes = Peer(pods=self.pods)
        transport = Flow(
            "nodes of the cluster form it over the transport layer", (nodes,), (TRANSPORT_PORT,)
        )
        http_clients = [Peer(pods={STAGE_LABEL: client}) for client in args.clients]
        ingress = [transport]
        if http_clients:
            ingress.append(
                Flow(
                    "the pipeline's client stages use the HTTP API",
                    tuple(http_clients),
                    (HTTP_PORT,),
                )
            )
        if args.monitoring is not None:
            ingress.append(
                Flow(
                    "the exporter reads the cluster's health and node statistics",
                    (Peer(pods=exporter_labels(self._name)),),
                    (HTTP_PORT,),
                )
            )
        if args.kibana is not None:
            ingress.append(
                Flow(
                    "Kibana queries the cluster",
                    (Peer(pods={KIBANA_NAME_LABEL: self._kibana_name}),),
                    (HTTP_PORT,),
                )
            )
        ingress.append(
            Flow(
                "the ECK operator manages the cluster",
                (Peer(namespace=args.operator_namespace),),
                (HTTP_PORT,),
            )
        )
        to_http = Flow("reach the cluster's HTTP API", (nodes,), (HTTP_PORT,))
        self._create_flow_policy(
            f"elasticsearch-{self._name}",
            ElementFlows(pods=self.pods, ingress=tuple(ingress), egress=(transport,)),
        )
        if args.kibana is not None:
            self._create_flow_policy(
                f"kibana-{self._name}",
                ElementFlows(pods={KIBANA_NAME_LABEL: self._kibana_name}, egress=(to_http,)),
            )
        if args.monitoring is not None:
            self._create_flow_policy(
                f"{EXPORTER_NAME}-{self._name}",
                ElementFlows(
                    pods=exporter_labels(self._name),
                    ingress=(args.monitoring.scrape_flow((EXPORTER_PORT,)),),
                    egress=(to_http,),
                ),
            )

    def _create_flow_policy(self, element: str, flows: ElementFlows) -> None:
        create_flow_policy(
            f"{self._name}-{element}-flows",
            element=element,
            namespace=self._args.namespace.name,
            labels=self._labels,
            flows=flows,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_monitoring(self, monitoring: Monitoring, cluster: list[pulumi.Resource]) -> None:
        args = self._args
        in_cluster = pulumi.ResourceOptions(parent=self)
        k8s.apps.v1.Deployment(
            f"{self._name}-es-exporter",
            metadata={
                "name": f"{self._name}-{EXPORTER_NAME}",
                "namespace": args.namespace.name,
                "labels": self._labels,
            },
            spec=exporter_deployment_spec(
                self._name,
                self._names.local_url(tls=args.http_tls),
                self._names.ca_secret if args.http_tls else None,
                self.user_secret(EXPORTER_USER),
                self._labels,
            ),
            # The CA Secret exists once ECK has reconciled the cluster.
            opts=pulumi.ResourceOptions(parent=self, depends_on=cluster),
        )
        settings = ElasticsearchAlertSettings()
        monitoring.watch_pods(
            f"{self._name}-es",
            name=f"{self._name}-elasticsearch",
            namespace=args.namespace.name,
            labels=self._labels,
            pod_monitor=elasticsearch_pod_monitor_spec(self._name),
            alert_groups=lambda namespace: elasticsearch_alert_groups(
                namespace, self._name, settings
            ),
            opts=in_cluster,
        )
