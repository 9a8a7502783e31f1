"""The Kafka Connect policy, passing and failing, through the engine and through pulumi_policy:
connectors and workers take credentials only as config-provider references."""

from __future__ import annotations

import pytest

from policies.engine import evaluate, load_pack_config, resolve
from policies.pack import POLICIES
from policies.record import InputError, Resource
from tests.conftest import PROJECT_DIR
from tests.policies.helpers import (
    json_paths,
    kafka_connect,
    kafka_connector,
    messages,
    pulumi_messages,
)
from tests.policies.test_evaluate import preview_document, step
from tests.policies.test_evaluate_robustness import REPLACEMENTS, _evaluate, _replaced

POLICY = "connector-secrets-by-reference"
# What the loader writes: the Elasticsearch user's Secret mounted under /mnt and read by
# Kafka's DirectoryConfigProvider.
BY_REFERENCE = {
    "connection.url": "https://logs-es-http.events.svc:9200",
    "connection.username": "${directory:/mnt/elasticsearch-user:username}",
    "connection.password": "${directory:/mnt/elasticsearch-user:password}",
    "elastic.security.protocol": "SSL",
    "elastic.https.ssl.truststore.type": "PEM",
    "elastic.https.ssl.truststore.location": "/mnt/elasticsearch-ca/ca.crt",
    # Two-part references and empty values hold no credential.
    "elastic.https.ssl.keystore.password": "${env:KEYSTORE_PASSWORD}",
    "elastic.https.ssl.key.password": "",
}
WORKER_CONFIG = {
    "config.providers": "directory",
    "config.providers.directory.class": (
        "org.apache.kafka.common.config.provider.DirectoryConfigProvider"
    ),
    "consumer.sasl.jaas.config": "${directory:/mnt/loader-jaas:sasl.jaas.config}",
    # Not a credential: the key only starts like one.
    "password.encoder.iterations": 4096,
}
CLEAR_CONNECTOR = {
    "connection.password": "hunter2",
    "connection.username": "loader",
    "elastic.https.ssl.truststore.password": "changeit",
    "aws.secret.key": 12345,
    # A reference inside other text still leaves the rest of the value in the config.
    "consumer.override.sasl.jaas.config": (
        "org.apache.kafka.common.security.scram.ScramLoginModule required "
        'username="loader" password="${directory:/mnt/kafka:password}";'
    ),
    "oauth.client.secret": "[secret]",
}
CLEAR_WORKER = {"producer.ssl.key.password": "changeit", "password.encoder.secret": "s3cret"}

CONNECTOR_STORE = (
    "Connect keeps a connector's config in its config topic and serves it from its REST API as "
    "written"
)
WORKER_STORE = "Strimzi writes a worker's config into a ConfigMap as written"
ADVICE = (
    "give the whole value as a config-provider reference such as "
    "${directory:/mnt/<volume>:<key>} to a mounted Secret"
)


def given(resource: str, key: str, store: str) -> str:
    return (
        f'{resource} gives spec.config["{key}"] as a value, not as one config-provider '
        f"reference; {store}: {ADVICE}"
    )


EXPECTED = [
    given('KafkaConnector "clicks-to-es"', "connection.password", CONNECTOR_STORE),
    given(
        'KafkaConnector "clicks-to-es"', "elastic.https.ssl.truststore.password", CONNECTOR_STORE
    ),
    given('KafkaConnector "clicks-to-es"', "aws.secret.key", CONNECTOR_STORE),
    given('KafkaConnector "clicks-to-es"', "consumer.override.sasl.jaas.config", CONNECTOR_STORE),
    'KafkaConnector "clicks-to-es" takes spec.config["oauth.client.secret"] from a Pulumi '
    f"secret, which the object still holds in clear; {CONNECTOR_STORE}: {ADVICE}",
    given('KafkaConnect "loader"', "producer.ssl.key.password", WORKER_STORE),
    given('KafkaConnect "loader"', "password.encoder.secret", WORKER_STORE),
]


def passing() -> list[Resource]:
    return [
        kafka_connector(config=BY_REFERENCE),
        kafka_connector("defaults"),
        kafka_connect(config=WORKER_CONFIG),
    ]


def failing(version: str = "v1") -> list[Resource]:
    return [
        kafka_connector(config=CLEAR_CONNECTOR, version=version),
        kafka_connect(config=CLEAR_WORKER, version=version),
    ]


@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
def test_references_pass(run):
    assert run(POLICY, passing()) == []


@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
@pytest.mark.parametrize("version", ["v1", "v1beta2"])
def test_values_of_credential_keys_fail_without_showing_them(run, version):
    found = run(POLICY, failing(version))
    assert found == EXPECTED
    assert not any(secret in "\n".join(found) for secret in ("hunter2", "changeit", "s3cret"))


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_stack_makes_it_mandatory(stack):
    config = load_pack_config(PROJECT_DIR / "policies" / "config" / f"{stack}.json")
    resolved = [r for r in resolve(POLICIES, config) if r.policy.name == POLICY]
    assert [r.level for r in resolved] == ["mandatory"]
    assert [v.blocking for v in evaluate(resolved, failing()).violations] == [True] * 7


def test_a_config_of_the_wrong_shape_is_an_input_error_naming_it():
    connector = kafka_connector()
    connector.props["spec"]["config"] = ["connection.password=hunter2"]
    with pytest.raises(InputError) as caught:
        messages(POLICY, [connector])
    assert str(caught.value) == (
        'kubernetes:kafka.strimzi.io/v1:KafkaConnector "clicks-to-es": spec.config should be an '
        "object, not a list"
    )


def test_a_password_not_known_until_the_update_skips_the_check():
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

    hidden = kafka_connector(config={"connection.password": UNKNOWN_STRING_VALUE})
    resolved = [r for r in resolve(POLICIES, {}) if r.policy.name == POLICY]
    evaluation = evaluate(resolved, [hidden])
    assert evaluation.violations == []
    assert [(s.policy, s.reason) for s in evaluation.skipped] == [
        (
            POLICY,
            'kubernetes:kafka.strimzi.io/v1:KafkaConnector "clicks-to-es": '
            'spec.config["connection.password"] is not known until the update runs',
        )
    ]
    with pytest.raises(UnknownValueError):
        pulumi_messages(POLICY, [hidden])


def test_any_value_in_a_connect_preview_gives_an_exit_code_and_named_errors():
    document = preview_document(*(step("create", r.type, r.props) for r in passing()))
    assert _evaluate(document) == (0, "")
    inputs = [path for path in json_paths(document) if path[3:4] == ("inputs",)]
    for path in inputs:
        for value in REPLACEMENTS:
            code, err = _evaluate(_replaced(document, path, value))
            assert code in (0, 1, 2), (path, value)
            assert (code == 2) == bool(err), (path, value, err)
            assert all(line.startswith("error: ") for line in err.splitlines()), (path, value)
