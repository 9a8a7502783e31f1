"""ECK custom resource bodies: an ``Elasticsearch`` with its nodeSets, a ``Kibana``, their names.

Pure functions from small frozen dataclasses to the dicts (``apiVersion``, ``kind``,
``metadata``, ``spec``) that ``components/elasticsearch.py`` registers. No Pulumi import: values
that are Pulumi Outputs in the program (the namespace, a StorageClass name) are only placed,
never read.

Bodies target ECK 3.5 (``elasticsearch.k8s.elastic.co/v1``, ``kibana.k8s.elastic.co/v1``).

What the bodies guarantee:

- Storage that never needs a change ECK refuses: each nodeSet is named after the digest of its
  StorageClass (``masters-<digest>``, ``data-<digest>``). ECK's webhook rejects any change to a
  nodeSet's ``volumeClaimTemplates`` but a size increase, so a new class is a new nodeSet; ECK
  moves the shards onto it and removes the old one. A larger size stays the same nodeSet.
- Restricted pods: the pod and every container, ECK's own init containers included, carry
  contexts the "restricted" Pod Security Standard admits (see :func:`node_set_body`).
- Safe rollouts: one node at a time (``changeBudget.maxUnavailable: 1``) and ECK's default
  disruption budget, which lets at most one node go, and only while the cluster is green.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import yaml

from components.alerting.elasticsearch import (
    EXPORTER_NAME,
    EXPORTER_PORT,
    EXPORTER_PORT_NAME,
    exporter_labels,
)
from components.alerting.promql import require_dns_label
from components.pods import (
    STORK_SCHEDULER,
    ZONE_TOPOLOGY_KEY,
    Resources,
    parse_quantity,
    restricted_container_security_context,
    restricted_pod_security_context,
)

# ECK mounts the claim template of this name as the data path; any other name is an extra
# volume, and the data would land on the pod's ephemeral storage.
from components.stork import ECK_DATA_VOLUME as DATA_VOLUME
from components.stork import FLUSH_CREDENTIALS_DIR

API = "elasticsearch.k8s.elastic.co/v1"
KIBANA_API = "kibana.k8s.elastic.co/v1"
# The version ECK 3.5's samples deploy.
ELASTICSEARCH_VERSION = "9.4.3"

HTTP_PORT = 9200
TRANSPORT_PORT = 9300
KIBANA_PORT = 5601
CA_CERT_KEY = "ca.crt"
CLUSTER_NAME_LABEL = "elasticsearch.k8s.elastic.co/cluster-name"
# ECK's StatefulSet per nodeSet (``<es>-es-<nodeSet>``) selects its pods by both labels.
STATEFULSET_NAME_LABEL = "elasticsearch.k8s.elastic.co/statefulset-name"
_FLUSH_VOLUME = "snapshot-flush"
KIBANA_NAME_LABEL = "kibana.k8s.elastic.co/name"
ELASTICSEARCH_CONTAINER = "elasticsearch"
KIBANA_CONTAINER = "kibana"
# Init containers ECK adds to every Elasticsearch pod. ECK sets ``privileged: false`` on the
# first, so its own default (restricted) context never applies to it; naming them in the pod
# template makes ECK merge ours in (user values take precedence). Containers ECK adds only
# sometimes (the keystore one, with secureSettings) must not be named: a named container that
# ECK does not create would run the Elasticsearch image's entrypoint.
ELASTICSEARCH_INIT_CONTAINERS = ("elastic-internal-init-filesystem", "elastic-internal-suspend")
KIBANA_INIT_CONTAINERS = ("elastic-internal-init-config",)
# The Elastic images run as uid 1000 in group 1000; ECK sets fsGroup 1000 only when the user
# gives no pod securityContext, which ours is, so it is passed on here.
ELASTIC_FS_GROUP = 1000
# Elastic: the heap stays below the compressed ordinary object pointers threshold; "26GB is safe
# on most systems" (JVM sizes, so binary gigabytes).
COMPRESSED_OOPS_HEAP_LIMIT = "26Gi"
# ECK refuses longer Elasticsearch names (its resources append up to 27 characters); a
# StatefulSet's name plus the 11 characters of its controller-revision-hash label must fit a
# label value (63).
MAX_CLUSTER_NAME = 36
_MAX_STATEFULSET_NAME = 63 - 11
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")

# The metrics exporter (components.alerting.elasticsearch says why this one), at its last
# release (1.9.0, 2025-02-27). It runs as "nobody": the kubelet can verify runAsNonRoot only
# for a numeric uid.
EXPORTER_IMAGE = "quay.io/prometheuscommunity/elasticsearch-exporter:v1.9.0"
EXPORTER_UID = 65534
EXPORTER_RESOURCES = Resources(
    requests={"cpu": "50m", "memory": "64Mi"}, limits={"cpu": "200m", "memory": "64Mi"}
)
# Where the exporter finds the HTTP CA (from ECK's <es>-es-http-certs-public Secret).
_CA_MOUNT = "/etc/elasticsearch-ca"


class NodeRole(StrEnum):
    MASTER = "master"
    DATA = "data"
    INGEST = "ingest"


class IndexAccess(StrEnum):
    """What a client stage does with its indices."""

    WRITE = "write"
    READ = "read"


# Index privileges per access. A writer creates its indices and writes documents (index,
# update, delete, bulk); view_index_metadata lets it check that an index exists. It is not
# given read, which Confluent's connector README lists: a sink only writes, and a loader that
# cannot read cannot leak what it loaded.
INDEX_PRIVILEGES: Mapping[IndexAccess, tuple[str, ...]] = {
    IndexAccess.WRITE: ("create_index", "write", "view_index_metadata"),
    IndexAccess.READ: ("read", "view_index_metadata"),
}
# Cluster privilege of every client: ``GET /``, with which the Elasticsearch Java client (the
# connector) and ES-Hadoop check the version, is a monitor action. It reads cluster state and
# statistics, never documents.
CLIENT_CLUSTER_PRIVILEGES = ("monitor",)


@dataclass(frozen=True)
class NodeSet:
    """One ECK nodeSet: its roles, size, volume and heap."""

    name: str
    roles: tuple[NodeRole, ...]
    count: int
    storage_class: Any
    volume_size: str
    resources: Resources
    """Must limit memory: the heap is sized against the limit."""
    heap: str
    """JVM heap (-Xms = -Xmx) in whole MiB, such as ``4Gi``."""

    def __post_init__(self) -> None:
        if not _DNS_LABEL.fullmatch(self.name):
            raise ValueError(f"nodeSet name {self.name!r} is not a DNS label")
        if not self.roles or len(set(self.roles)) != len(self.roles):
            raise ValueError(f"nodeSet {self.name}: give each role at most once, at least one")
        if self.count < 1:
            raise ValueError(f"nodeSet {self.name}: count must be at least 1, got {self.count}")
        parse_quantity(self.volume_size)
        limit = self.resources.limits.get("memory")
        if limit is None:
            raise ValueError(f"nodeSet {self.name}: resources must limit memory")
        heap = parse_quantity(self.heap)
        if heap <= 0 or heap % 2**20:
            raise ValueError(f"nodeSet {self.name}: heap {self.heap} is not a whole number of Mi")
        if heap * 2 > parse_quantity(limit):
            raise ValueError(
                f"nodeSet {self.name}: heap {self.heap} is more than half of the memory limit "
                f"{limit}"
            )
        if heap > parse_quantity(COMPRESSED_OOPS_HEAP_LIMIT):
            raise ValueError(
                f"nodeSet {self.name}: heap {self.heap} is above {COMPRESSED_OOPS_HEAP_LIMIT}, "
                "where the JVM loses compressed object pointers"
            )

    def java_options(self) -> str:
        """``ES_JAVA_OPTS``: minimum and maximum heap equal, so the heap never resizes."""
        mebibytes = int(parse_quantity(self.heap)) // 2**20
        return f"-Xms{mebibytes}m -Xmx{mebibytes}m"


@dataclass(frozen=True)
class ClusterSpec:
    """Everything the ``Elasticsearch`` resource needs besides its nodeSets."""

    name: str
    namespace: Any
    version: str = ELASTICSEARCH_VERSION
    http_tls: bool = True
    """A self-signed certificate from ECK on the HTTP layer; False: plain HTTP."""
    allow_mmap: bool = False
    """``node.store.allow_mmap``; True needs nodes tuned to ``vm.max_map_count >= 262144``."""
    topology_key: str = ZONE_TOPOLOGY_KEY
    zones: tuple[str, ...] = ()
    """Zones the pods may run in; empty: any value of ``topology_key``."""
    use_stork: bool = False
    labels: Mapping[str, Any] = field(default_factory=dict)
    """Labels of the resource and of every pod."""
    user_secrets: tuple[str, ...] = ()
    """``kubernetes.io/basic-auth`` Secrets of the file realm's users."""
    role_secrets: tuple[str, ...] = ()
    """Secrets holding ``roles.yml`` for those users."""
    flush_secret: str | None = None
    """The basic-auth Secret of the user that flushes indices before a snapshot, mounted in the
    Elasticsearch container at ``components.stork.FLUSH_CREDENTIALS_DIR``; None: none."""

    def __post_init__(self) -> None:
        if not _DNS_LABEL.fullmatch(self.name) or len(self.name) > MAX_CLUSTER_NAME:
            raise ValueError(
                f"Elasticsearch name {self.name!r}: a DNS label of at most "
                f"{MAX_CLUSTER_NAME} characters (ECK's limit)"
            )
        if not self.topology_key:
            raise ValueError(f"Elasticsearch {self.name}: topology_key must name a node label")


@dataclass(frozen=True)
class KibanaSpec:
    name: str
    count: int
    resources: Resources
    version: str = ELASTICSEARCH_VERSION
    """Kibana runs the version of its Elasticsearch."""


@dataclass(frozen=True)
class EckNames:
    """Names ECK gives the objects of an Elasticsearch cluster, which clients are handed."""

    cluster: str

    @property
    def http_service(self) -> str:
        return f"{self.cluster}-es-http"

    @property
    def ca_secret(self) -> str:
        """Public half of the HTTP CA (key ``ca.crt``); no owner reference, meant to be read."""
        return f"{self.cluster}-es-http-certs-public"

    @property
    def elastic_user_secret(self) -> str:
        """The superuser's password (key ``elastic``): never handed to a stage."""
        return f"{self.cluster}-es-elastic-user"

    def local_url(self, *, tls: bool = True) -> str:
        """The HTTP API's URL from the cluster's own namespace (ECK's certificate names the
        Service by its short name too)."""
        scheme = "https" if tls else "http"
        return f"{scheme}://{self.http_service}:{HTTP_PORT}"


@dataclass(frozen=True)
class Role:
    """A file-realm role: cluster privileges, and index privileges on some index patterns."""

    name: str
    cluster: tuple[str, ...]
    indices: tuple[str, ...] = ()
    index_privileges: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        role: dict[str, Any] = {"cluster": list(self.cluster)}
        if self.indices:
            role["indices"] = [
                {"names": list(self.indices), "privileges": list(self.index_privileges)}
            ]
        return role


def client_role(name: str, access: IndexAccess, indices: Sequence[str]) -> Role:
    """The least a client stage needs on its indices to write or to read them."""
    if not indices:
        raise ValueError(f"role {name}: give the index patterns it may {access.value}")
    return Role(name, CLIENT_CLUSTER_PRIVILEGES, tuple(indices), INDEX_PRIVILEGES[access])


def roles_yaml(roles: Sequence[Role]) -> str:
    """The ``roles.yml`` of an ECK roles Secret."""
    names = [role.name for role in roles]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"roles defined twice: {', '.join(twice)}")
    return yaml.safe_dump({role.name: role.to_dict() for role in roles}, sort_keys=True)


def node_set_name(function: str, storage_digest: str) -> str:
    """``<function>-<class digest>``: a new class is a new nodeSet, never an edit ECK refuses."""
    return f"{function}-{storage_digest}"


def check_node_sets(spec: ClusterSpec, node_sets: Sequence[NodeSet]) -> None:
    """Raise ValueError naming every way the nodeSets cannot form a cluster ECK accepts."""
    problems = []
    names = [node_set.name for node_set in node_sets]
    problems += [f"nodeSet {n} is defined twice" for n in sorted(set(names)) if names.count(n) > 1]
    masters = sum(n.count for n in node_sets if NodeRole.MASTER in n.roles)
    if masters == 0:
        problems.append("no master-eligible node: give a nodeSet the master role")
    elif masters % 2 == 0:
        problems.append(
            f"{masters} master-eligible nodes: use an odd number, as {masters} tolerate no more "
            f"failures than {masters - 1}"
        )
    if not any(NodeRole.DATA in n.roles for n in node_sets):
        problems.append("no data node: give a nodeSet the data role")
    for node_set in node_sets:
        statefulset = f"{spec.name}-es-{node_set.name}"
        if len(statefulset) > _MAX_STATEFULSET_NAME:
            problems.append(
                f"StatefulSet name {statefulset} is longer than {_MAX_STATEFULSET_NAME} characters"
            )
    if problems:
        raise ValueError(f"Elasticsearch {spec.name}: " + "; ".join(problems))


def elasticsearch_body(spec: ClusterSpec, node_sets: Sequence[NodeSet]) -> dict[str, Any]:
    """The ``Elasticsearch``: TLS on HTTP, one node changed at a time, stage users, nodeSets.

    ``podDisruptionBudget`` is left to ECK on purpose: its default budget (Basic and Enterprise
    licences alike) lets one node go only while the cluster is green, which no static budget can
    express; a budget given here would replace it with one that ignores the health.
    """
    check_node_sets(spec, node_sets)
    auth: dict[str, Any] = {}
    if spec.user_secrets:
        auth["fileRealm"] = [{"secretName": name} for name in spec.user_secrets]
    if spec.role_secrets:
        auth["roles"] = [{"secretName": name} for name in spec.role_secrets]
    body_spec: dict[str, Any] = {
        "version": spec.version,
        "http": {"tls": {"selfSignedCertificate": {"disabled": not spec.http_tls}}},
        "updateStrategy": {"changeBudget": {"maxUnavailable": 1}},
        "nodeSets": [node_set_body(spec, node_set) for node_set in node_sets],
    }
    if auth:
        body_spec["auth"] = auth
    return _resource(API, "Elasticsearch", spec.name, spec.namespace, spec.labels, body_spec)


def node_set_body(spec: ClusterSpec, node_set: NodeSet) -> dict[str, Any]:
    """One entry of ``spec.nodeSets``.

    Hardening: ECK >= 2.x with ``config.setDefaultSecurityContext`` (default ``auto-detect``:
    on outside OpenShift) gives the Elasticsearch container a restricted context, but not the
    init-filesystem container, whose own ``privileged: false`` context shadows that default.
    The pod template therefore states the pod context and the context of every container ECK
    always adds; the sysctl init container of ECK's docs (privileged, for vm.max_map_count) is
    never added, which is why mmap is off unless the nodes are tuned beforehand.
    """
    hardened = restricted_container_security_context()
    pod_spec: dict[str, Any] = {
        "securityContext": restricted_pod_security_context(fs_group=ELASTIC_FS_GROUP),
        "containers": [
            {
                "name": ELASTICSEARCH_CONTAINER,
                "securityContext": hardened,
                "resources": node_set.resources.to_dict(),
                "env": [{"name": "ES_JAVA_OPTS", "value": node_set.java_options()}],
            }
        ],
        "initContainers": [
            {"name": name, "securityContext": hardened} for name in ELASTICSEARCH_INIT_CONTAINERS
        ],
    }
    if spec.use_stork:
        pod_spec["schedulerName"] = STORK_SCHEDULER
    if spec.flush_secret is not None:
        # The pre-snapshot Rule runs curl in this container with these credentials.
        pod_spec["volumes"] = [
            {
                "name": _FLUSH_VOLUME,
                "secret": {
                    "secretName": spec.flush_secret,
                    "items": [{"key": key, "path": key} for key in ("username", "password")],
                },
            }
        ]
        pod_spec["containers"][0]["volumeMounts"] = [
            {"name": _FLUSH_VOLUME, "mountPath": FLUSH_CREDENTIALS_DIR, "readOnly": True}
        ]
    zone_awareness: dict[str, Any] = {"topologyKey": spec.topology_key}
    if spec.zones:
        zone_awareness["zones"] = list(spec.zones)
    return {
        "name": node_set.name,
        "count": node_set.count,
        "config": {
            "node.roles": [role.value for role in NodeRole if role in node_set.roles],
            "node.store.allow_mmap": spec.allow_mmap,
            # The GeoIP downloader fetches databases from the internet, which the pipeline's
            # network policy does not open: off, instead of failing and logging every day.
            "ingest.geoip.downloader.enabled": False,
        },
        # Spread over zones, the zone as a shard allocation awareness attribute: ECK >= 3.4.
        "zoneAwareness": zone_awareness,
        "podTemplate": {"metadata": {"labels": dict(spec.labels)}, "spec": pod_spec},
        "volumeClaimTemplates": [
            {
                "metadata": {"name": DATA_VOLUME},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "storageClassName": node_set.storage_class,
                    "resources": {"requests": {"storage": node_set.volume_size}},
                },
            }
        ],
    }


def kibana_body(spec: ClusterSpec, kibana: KibanaSpec) -> dict[str, Any]:
    """The ``Kibana`` of the cluster: connected through ECK's association, restricted pods."""
    hardened = restricted_container_security_context()
    pod_spec = {
        "securityContext": restricted_pod_security_context(fs_group=ELASTIC_FS_GROUP),
        "containers": [
            {
                "name": KIBANA_CONTAINER,
                "securityContext": hardened,
                "resources": kibana.resources.to_dict(),
            }
        ],
        "initContainers": [
            {"name": name, "securityContext": hardened} for name in KIBANA_INIT_CONTAINERS
        ],
    }
    return _resource(
        KIBANA_API,
        "Kibana",
        kibana.name,
        spec.namespace,
        spec.labels,
        {
            "version": kibana.version,
            "count": kibana.count,
            "elasticsearchRef": {"name": spec.name},
            "podTemplate": {"metadata": {"labels": dict(spec.labels)}, "spec": pod_spec},
        },
    )


def _resource(
    api_version: str,
    kind: str,
    name: str,
    namespace: Any,
    labels: Mapping[str, Any],
    spec: dict[str, Any],
) -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
        "spec": spec,
    }


def exporter_deployment_spec(
    cluster: str,
    url: str,
    ca_secret: str | None,
    user_secret: str,
    labels: Mapping[str, Any],
    resources: Resources = EXPORTER_RESOURCES,
) -> dict[str, Any]:
    """The exporter's Deployment ``spec``: one replica, restricted, reading ``url``.

    ``ca_secret`` holds the CA of an HTTPS ``url`` (key ``ca.crt``); None for plain HTTP.
    Credentials come from the user's basic-auth Secret through ES_USERNAME and ES_PASSWORD
    (never on the command line). ``--es.all`` reads every node's stats, not only the node the
    Service routes to: the disk and heap alerts are per node.
    """
    pod_labels = {**labels, **exporter_labels(require_dns_label("cluster", cluster))}
    ca_args = [f"--es.ca={_CA_MOUNT}/{CA_CERT_KEY}"] if ca_secret else []
    container: dict[str, Any] = {
        "name": EXPORTER_NAME,
        "image": EXPORTER_IMAGE,
        "args": [
            f"--es.uri={url}",
            *ca_args,
            "--es.all",
            "--es.timeout=20s",
            f"--web.listen-address=:{EXPORTER_PORT}",
        ],
        "env": [
            {"name": variable, "valueFrom": {"secretKeyRef": {"name": user_secret, "key": key}}}
            for variable, key in (("ES_USERNAME", "username"), ("ES_PASSWORD", "password"))
        ],
        "ports": [{"name": EXPORTER_PORT_NAME, "containerPort": EXPORTER_PORT}],
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": EXPORTER_PORT_NAME}},
        "livenessProbe": {
            "httpGet": {"path": "/healthz", "port": EXPORTER_PORT_NAME},
            "initialDelaySeconds": 10,
        },
        "resources": resources.to_dict(),
        "securityContext": {
            **restricted_container_security_context(),
            "runAsUser": EXPORTER_UID,
            "readOnlyRootFilesystem": True,
        },
    }
    pod_spec: dict[str, Any] = {
        "securityContext": restricted_pod_security_context(),
        # It reads Elasticsearch, never the Kubernetes API.
        "automountServiceAccountToken": False,
        "containers": [container],
    }
    if ca_secret:
        container["volumeMounts"] = [{"name": "ca", "mountPath": _CA_MOUNT, "readOnly": True}]
        pod_spec["volumes"] = [
            {
                "name": "ca",
                "secret": {
                    "secretName": ca_secret,
                    "items": [{"key": CA_CERT_KEY, "path": CA_CERT_KEY}],
                },
            }
        ]
    return {
        "replicas": 1,
        "selector": {"matchLabels": exporter_labels(cluster)},
        "template": {
            "metadata": {"labels": pod_labels},
            "spec": pod_spec,
        },
    }
