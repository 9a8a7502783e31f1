"""Entry point of the Pulumi program (``main: pipeline/`` in Pulumi.yaml).

The Pulumi CLI runs this file with ``runpy.run_path("pipeline/")``, which puts only this folder on
``sys.path``: every import below resolves through the project installed in the virtualenv.
"""

from pipeline.compose import compose_stack
from pipeline.config import read_stack_config

# The whole configuration is validated before the first resource is registered.
compose_stack(read_stack_config())
