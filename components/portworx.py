"""Facts about Portworx that the program's config and the policy pack both rely on.

Kept free of imports so that the policy pack can read it without loading the Pulumi SDK.
"""

CSI_DRIVER = "pxd.portworx.com"
MAX_REPL = 3
# Every io_profile Portworx accepts; db and sequential are deprecated (the policy pack flags
# them), db_remote needs repl >= 2, journal needs a journal device.
IO_PROFILES = (
    "auto",
    "db_remote",
    "random",
    "cms",
    "sync_shared",
    "none",
    "journal",
    "auto_journal",
    "db",
    "sequential",
)
DEPRECATED_IO_PROFILES = ("db", "sequential")
IO_PRIORITIES = ("high", "medium", "low")
FILESYSTEMS = ("ext4", "xfs")

# Portworx Autopilot (autopilot.libopenstorage.org/v1alpha1 AutopilotRule, cluster-scoped).
AUTOPILOT_API = "autopilot.libopenstorage.org/v1alpha1"
AUTOPILOT_POOL_EXPAND = "openstorage.io.action.storagepool/expand"
AUTOPILOT_VOLUME_RESIZE = "openstorage.io.action.volume/resize"
AUTOPILOT_APPROVAL_REQUIRED = "approvalRequired"
# scaletype values of pool expansion in Portworx's current Autopilot reference.
AUTOPILOT_SCALE_TYPES = ("auto", "add-drive", "resize-drive")
# Every claim Strimzi creates carries its cluster's name under this label.
STRIMZI_CLUSTER_LABEL = "strimzi.io/cluster"
