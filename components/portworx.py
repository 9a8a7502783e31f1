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
