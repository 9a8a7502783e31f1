"""Typed configuration of one stack: everything under the ``data-pipeline:`` namespace.

The stack file is validated as a whole before anything is registered: ``base`` holds the
machinery (base model, field types, error format, reading from the runtime), each other module
one section, and ``stack`` the rules between sections. Validation checks shape, ranges and
references; whether a value is acceptable in an environment (for example encryption off in prod)
is the policy pack's decision, so that one rule set judges every program and every stack.
"""

from pipeline.config.base import NAMESPACE, ConfigError
from pipeline.config.stack import StackConfig, parse_config, read_stack_config

__all__ = ["NAMESPACE", "ConfigError", "StackConfig", "parse_config", "read_stack_config"]
