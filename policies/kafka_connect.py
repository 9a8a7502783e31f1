"""Kafka Connect rules (Strimzi): credentials reach connectors and workers only as references
that Connect resolves at run time, never as values in their config.

Named ``kafka_connect`` rather than ``connect``: Pulumi runs the pack with this folder first on
``sys.path``, where a short generic name could shadow a library's module.

Connect keeps a connector's config in its config topic and returns it from its REST API as
written, and Strimzi writes a worker's config into a ConfigMap: a value given in clear is readable
there by anyone who can read those. A config-provider reference (``${directory:/mnt/es:password}``,
Kafka's ``DirectoryConfigProvider`` over a mounted Secret) is what is stored instead, and Connect
replaces it with the Secret's value only in the running task.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policies.engine import ReportResource
from policies.objects import describe
from policies.record import SECRET_PLACEHOLDER, Field, Kind, Resource

KAFKA_CONNECTOR = Kind("kafka.strimzi.io", "KafkaConnector")
KAFKA_CONNECT = Kind("kafka.strimzi.io", "KafkaConnect")

# Config keys that hold a credential: connection.password, ssl.key.password,
# ssl.truststore.password, *.client.secret, aws.secret.key, sasl.jaas.config (whose JAAS text
# carries a password) and the like, under any prefix (producer., consumer.override., ...).
CREDENTIAL_KEY_SUFFIXES = ("password", ".secret", "secret.key", "sasl.jaas.config")
# A whole value that is one reference, ${provider:key} or ${provider:path:key}, in the syntax of
# Kafka's ConfigTransformer.
_REFERENCE = re.compile(r"\$\{[^}:]+:[^}]*\}")

_STORED = {
    KAFKA_CONNECTOR: "Connect keeps a connector's config in its config topic and serves it from "
    "its REST API as written",
    KAFKA_CONNECT: "Strimzi writes a worker's config into a ConfigMap as written",
}


def check_secrets_by_reference(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    config = resource.at("spec", "config")
    for key in config.object() or {}:
        if not key.endswith(CREDENTIAL_KEY_SUFFIXES):
            continue
        problem = _not_by_reference(config.at(key))
        if problem:
            report(
                f"{describe(resource)} {problem}; {_STORED[resource.kind]}: give the whole value "
                "as a config-provider reference such as ${directory:/mnt/<volume>:<key>} to a "
                "mounted Secret"
            )


def _not_by_reference(field: Field) -> str | None:
    """What is wrong with a credential's value, never showing the value; None for one
    reference, or for no value at all."""
    if field.value == SECRET_PLACEHOLDER:
        # A Pulumi secret is hidden from the preview only: the object holds it in clear.
        return f"takes {field.path} from a Pulumi secret, which the object still holds in clear"
    if field.value is None:
        return None
    if isinstance(field.value, str):
        text = field.required_text()  # raises for a value the preview does not know yet
        if not text or _REFERENCE.fullmatch(text):
            return None
    return f"gives {field.path} as a value, not as one config-provider reference"
