"""The policies of the data-pipeline pack, in the order they are reported."""

from policies.storage import POLICIES as STORAGE_POLICIES

PACK_NAME = "data-pipeline-storage"
POLICIES = (*STORAGE_POLICIES,)
