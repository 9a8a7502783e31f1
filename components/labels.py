"""Label keys the program writes and the policy pack reads: the contract between the two.

Kept free of imports so that the policy pack can read it without loading the Pulumi SDK.
"""

ROLE_LABEL = "data-pipeline.io/storage-role"
PIPELINE_LABEL = "data-pipeline.io/pipeline"
ENVIRONMENT_LABEL = "data-pipeline.io/environment"
PART_OF = "data-pipeline"
# The stage a pod belongs to (loader, analytics, ...): what other elements' flows admit.
STAGE_LABEL = "data-pipeline.io/stage"
