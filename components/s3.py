"""Facts about the S3 snapshot archive that the program's config, its component and the policy
pack all rely on.

Kept free of imports so that the policy pack can read it without loading the Pulumi SDK.
"""

# Storage classes a lifecycle rule may move snapshots to: only those read back at once. Portworx
# and Stork never restore an object from GLACIER or DEEP_ARCHIVE (a read there fails until
# someone thaws it), and an incremental cloud snapshot needs its base objects. STANDARD_IA bills
# at least 30 days and S3 refuses a transition to it earlier than 30 days after creation.
TRANSITION_STORAGE_CLASSES = ("GLACIER_IR", "STANDARD_IA")
STANDARD_IA_MINIMUM_DAYS = 30
OBJECT_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")
# Server-side encryption as the program's config names it; S3 spells kms "aws:kms".
ENCRYPTIONS = ("kms", "AES256")
SSE_ALGORITHMS = {"kms": "aws:kms", "AES256": "AES256"}

# The backup writer's least privilege: bucket-level actions on the bucket's ARN, object-level
# actions on its objects (<bucket ARN>/*), and only these two on the bucket's key.
WRITER_BUCKET_ACTIONS = (
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:ListBucketMultipartUploads",
    "s3:GetBucketAcl",
    "s3:GetBucketObjectLockConfiguration",
)
WRITER_OBJECT_ACTIONS = (
    "s3:ListMultipartUploadParts",
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:GetObjectAcl",
    "s3:PutObjectAcl",
    "s3:GetObjectVersionAcl",
)
WRITER_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
