"""``pipelines.<name>.elasticsearch``: the pipeline's Elasticsearch cluster (ECK) and its clients.

Defaults follow Elastic's guidance (REFERENCE.md, "Tuning guidance"): three dedicated masters,
three data nodes (one per zone), heap at half the memory limit and below the compressed-oops
threshold (Lucene needs the rest as filesystem cache), memory requested as much as limited,
data on the ``replicated`` role (Elasticsearch replicates shards itself), HTTPS, no mmap.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from components.eck import COMPRESSED_OOPS_HEAP_LIMIT, ELASTICSEARCH_VERSION
from components.quantities import parse_quantity
from pipeline.config.base import (
    ConfigModel,
    Problem,
    Quantity,
    ShortName,
    at_least_one,
    between,
    config_rule,
    matching,
    raise_problems,
)
from pipeline.config.compute import MemoryQuantity, ResourcesConfig, resources

# A length constraint on the tuple itself would also report a list whose items are bad.

ElasticsearchVersion = Annotated[
    str,
    AfterValidator(
        matching(r"(8|9)\.[0-9]+\.[0-9]+", "an Elasticsearch 8 or 9 version such as 9.4.3")
    ),
]
# Elasticsearch index names: lowercase, no \ / ? " < > | , # or spaces, not starting with
# - _ +; '*' makes a pattern (a writer's daily indices, clicks-*).
IndexPattern = Annotated[
    str,
    AfterValidator(
        matching(
            r"(?=.{1,255}$)[a-z0-9*][a-z0-9._*-]*",
            "an index name or pattern: lowercase letters, digits, '.', '_', '-' and '*', "
            "starting with a letter, a digit or '*'",
        )
    ),
]


class ElasticsearchNodesConfig(ConfigModel):
    """One nodeSet: how many nodes, the role and size of their volumes, resources and heap."""

    count: Annotated[int, AfterValidator(between(1, 99))]
    storage_role: ShortName = "replicated"
    """Catalog role of the nodes' data volumes; the pipeline must claim it."""
    storage: Quantity
    """Size of each node's volume: it can grow in place, never shrink."""
    resources: ResourcesConfig
    heap: MemoryQuantity
    """JVM heap (-Xms = -Xmx): at most half the memory limit and at most 26Gi."""

    @model_validator(mode="after")
    def _heap_fits_elastics_sizing(self) -> ElasticsearchNodesConfig:
        heap = parse_quantity(self.heap)
        limit = self.resources.limits.memory
        if heap % 2**20:
            raise config_rule(f"heap {self.heap} is not a whole number of Mi (use e.g. 1536Mi)")
        if heap * 2 > parse_quantity(limit):
            raise config_rule(
                f"heap {self.heap} is more than half of resources.limits.memory {limit} "
                "(Elasticsearch needs the rest for the filesystem cache)"
            )
        if heap > parse_quantity(COMPRESSED_OOPS_HEAP_LIMIT):
            raise config_rule(
                f"heap {self.heap} is above {COMPRESSED_OOPS_HEAP_LIMIT} (the JVM loses "
                "compressed object pointers: a larger heap holds less)"
            )
        return self


class ElasticsearchClientConfig(ConfigModel):
    """A stage that uses Elasticsearch: it gets a user allowed exactly these indices."""

    privileges: Literal["write", "read"]
    """write: create indices and index documents (a loader); read: search them."""
    indices: Annotated[tuple[IndexPattern, ...], AfterValidator(at_least_one)]


class KibanaConfig(ConfigModel):
    enabled: bool = False
    count: Annotated[int, AfterValidator(between(1, 9))] = 1
    resources: ResourcesConfig = resources("500m", "1Gi", "1")


class ElasticsearchConfig(ConfigModel):
    """The pipeline's Elasticsearch: one ECK cluster in the pipeline's namespace."""

    version: ElasticsearchVersion = ELASTICSEARCH_VERSION
    node_sets: Literal["dedicated", "combined"] = "dedicated"
    """dedicated: master and data nodeSets (staging, prod); combined: one nodeSet of
    master-eligible data nodes, sized by ``data`` (dev)."""
    masters: ElasticsearchNodesConfig = ElasticsearchNodesConfig(
        count=3, storage="10Gi", resources=resources("500m", "2Gi", "1"), heap="1Gi"
    )
    data: ElasticsearchNodesConfig = ElasticsearchNodesConfig(
        count=3, storage="100Gi", resources=resources("1", "8Gi", "2"), heap="4Gi"
    )
    allow_mmap: bool = False
    """node.store.allow_mmap. Needs vm.max_map_count >= 262144 on every node, which a pod
    under the restricted standard cannot set: true only where the nodes are tuned."""
    http_tls: bool = True
    """HTTPS with a certificate from ECK. Never off in prod (the policy pack checks)."""
    kibana: KibanaConfig = KibanaConfig()
    clients: dict[ShortName, ElasticsearchClientConfig] = Field(default_factory=dict)
    """Stages that write or read indices (the loader, the ML stages)."""

    @model_validator(mode="after")
    def _check_the_cluster(self) -> ElasticsearchConfig:
        raise_problems(self._problems())
        return self

    def _problems(self) -> Iterator[Problem]:
        """What ECK or Elasticsearch would refuse, or run unsafely, once deployed."""
        masters = self.data if self.node_sets == "combined" else self.masters
        role = "data" if self.node_sets == "combined" else "masters"
        if masters.count % 2 == 0:
            yield Problem(
                (role, "count"),
                masters.count,
                "an odd number of master-eligible nodes: "
                f"{masters.count} tolerate no more failures than {masters.count - 1}",
            )

    def storage_roles(self) -> dict[str, str]:
        """The catalog role of each nodeSet in use: ``masters`` only with dedicated masters."""
        roles = {"data": self.data.storage_role}
        if self.node_sets == "dedicated":
            roles["masters"] = self.masters.storage_role
        return roles


def elasticsearch_problems(
    pipeline: str, elasticsearch: ElasticsearchConfig, claimed: Mapping[str, Any]
) -> Iterator[Problem]:
    """Rules across sections, for the stack's validator: each storage role in use is one the
    pipeline claims (``pipelines.<p>.storage``)."""
    names = ", ".join(sorted(claimed)) or "none declared"
    for node_set, role in elasticsearch.storage_roles().items():
        if role not in claimed:
            yield Problem(
                ("pipelines", pipeline, "elasticsearch", node_set, "storageRole"),
                role,
                f"a role pipelines.{pipeline}.storage claims: {names}",
            )
