"""Entry point of the policy pack: ``pulumi preview --policy-pack policies``.

Pulumi runs this file with ``runpy.run_path("policies/")``, which puts only this folder on
``sys.path``, so every import resolves through the project installed in ``../.venv``.
Constructing ``PolicyPack`` starts the analyzer's gRPC server and never returns: this is the only
place that does it.
"""

from pulumi_policy import EnforcementLevel, PolicyPack

from policies.engine import to_pulumi_policy
from policies.pack import PACK_NAME, POLICIES

PolicyPack(
    name=PACK_NAME,
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[to_pulumi_policy(policy) for policy in POLICIES],
)
