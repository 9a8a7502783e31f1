"""Facts about Stork and about the claims operators create, which the program's config, its
protection component and the policy pack all rely on.

Kept free of imports so that the policy pack can read it without loading the Pulumi SDK.

Claim names are what a per-claim ``VolumeSnapshotSchedule`` must name before the claim exists, so
they are derived exactly as each operator derives them:

- Strimzi (a KafkaNodePool): ``data-<volume id>-<cluster>-<pool>-<node id>`` for a JBOD volume,
  ``data-<cluster>-<pool>-<node id>`` for persistent-claim storage (its ``VolumeUtils``;
  the pod is ``<cluster>-<pool>-<node id>``);
- ECK: ``<claim template>-<cluster>-es-<nodeSet>-<ordinal>``: the StatefulSet is
  ``<cluster>-es-<nodeSet>`` and Kubernetes names a StatefulSet's claims
  ``<claim template>-<statefulset>-<ordinal>``, which also covers plain StatefulSets.
"""

STORK_API = "stork.libopenstorage.org/v1alpha1"
# Annotations of a VolumeSnapshotSchedule that make Stork's Portworx driver take cloud snapshots,
# uploaded with the named Portworx cloud credential (absent: the only credential defined).
SNAPSHOT_TYPE_ANNOTATION = "portworx/snapshot-type"
CLOUD_SNAPSHOT = "cloud"
CLOUD_CREDENTIAL_ANNOTATION = "portworx/cloud-cred-id"
# Portworx keeps at most this many snapshots of one volume.
MAX_SNAPSHOTS_PER_VOLUME = 64
# The day names Stork's weekly schedules take (it also reads abbreviations; these are unambiguous).
WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
# Where the protection component mounts the Elasticsearch flush user's credentials in the
# Elasticsearch container (files ``username`` and ``password``), for the pre-snapshot Rule.
FLUSH_CREDENTIALS_DIR = "/mnt/data-pipeline/snapshot-flush"
# The claim template ECK mounts as an Elasticsearch node's data path.
ECK_DATA_VOLUME = "elasticsearch-data"


def strimzi_claim(cluster: str, pool: str, node_id: int, volume_id: int | None) -> str:
    """The claim of JBOD volume ``volume_id`` of Kafka node ``node_id`` in ``pool``; None: the
    pool's single persistent-claim volume (storage that is not JBOD)."""
    volume = "" if volume_id is None else f"{volume_id}-"
    return f"data-{volume}{cluster}-{pool}-{node_id}"


def stateful_set_claim(template: str, stateful_set: str, ordinal: int) -> str:
    """The claim Kubernetes makes from ``template`` for pod ``ordinal`` of a StatefulSet."""
    return f"{template}-{stateful_set}-{ordinal}"


def eck_claim(cluster: str, node_set: str, ordinal: int, template: str = ECK_DATA_VOLUME) -> str:
    """The claim of node ``ordinal`` of an ECK nodeSet (its StatefulSet ``<cluster>-es-<set>``)."""
    return stateful_set_claim(template, f"{cluster}-es-{node_set}", ordinal)


def snapshot_schedule_name(claim: str) -> str:
    """The VolumeSnapshotSchedule of a claim's cloud snapshots (names are unique per namespace,
    as claims are)."""
    return f"{claim}-cloud"
