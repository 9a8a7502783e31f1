"""Each Kafka policy, passing and failing, through the engine and through pulumi_policy: what the
brokers and each topic replicate and acknowledge, unclean election, storage and listeners."""

from __future__ import annotations

import pytest

from policies.engine import evaluate, load_pack_config, resolve
from policies.pack import POLICIES
from policies.record import InputError, Resource
from tests.conftest import PROJECT_DIR
from tests.policies.helpers import (
    json_paths,
    kafka,
    kafka_node_pool,
    kafka_topic,
    kafka_volume,
    messages,
    pulumi_messages,
    storage_class,
)
from tests.policies.test_evaluate import SC, preview_document, step
from tests.policies.test_evaluate_robustness import REPLACEMENTS, _evaluate, _replaced

REPLICATED = storage_class("px-replicated", role="replicated")
DB = storage_class("px-db", role="db")
SCRATCH = storage_class("px-scratch", role="scratch")
SHARED = storage_class("px-shared", role="replicated", parameters={"sharedv4": "true"})
UNLABELLED = storage_class("px-plain", role=None)
CLASSES = [REPLICATED, DB, SCRATCH, SHARED, UNLABELLED]

# Clusters beside "events": one as durable, one replicating twice, one leaving both counts to
# Kafka's default of 1.
STRICT = kafka("strict")
LAX = kafka("lax", {"default.replication.factor": 2})
BARE = kafka("bare", {"default.replication.factor": None, "min.insync.replicas": None})
PLAIN_LISTENER = {"name": "plain", "port": 9092, "type": "internal", "tls": False}
AUTHENTICATED_LISTENERS = [
    {
        "name": "tls",
        "port": 9093,
        "type": "internal",
        "tls": True,
        "authentication": {"type": "tls"},
    },
    {**PLAIN_LISTENER, "authentication": {"type": "scram-sha-512"}},
]

# (policy, settings, resources that pass, resources that fail, the failing messages)
CASES = [
    (
        "kafka-replication",
        {"minimum": 3},
        [
            kafka(),
            kafka_topic(),
            kafka_topic("inherits", replicas=None),
            kafka_topic("wide", replicas=5),
        ],
        [
            LAX,
            BARE,
            kafka_topic("clicks", replicas=1),
            kafka_topic("inherits", replicas=None, cluster="lax"),
            kafka_topic("bare", replicas=None, cluster="bare"),
            kafka_topic("orphan", replicas=None, cluster="elsewhere"),
            kafka_topic("unlabelled", replicas=None, cluster=None),
        ],
        [
            'Kafka "lax" has default.replication.factor 2; set '
            'spec.kafka.config["default.replication.factor"] to at least 3',
            'Kafka "bare" has default.replication.factor 1 (unset: Kafka\'s default); set '
            'spec.kafka.config["default.replication.factor"] to at least 3',
            'KafkaTopic "clicks" has replicas 1; set spec.replicas to at least 3',
            'KafkaTopic "inherits" has replicas 2 (from Kafka "lax"\'s '
            "default.replication.factor); set spec.replicas to at least 3",
            'KafkaTopic "bare" has replicas 1 (Kafka\'s default, as Kafka "bare" sets no '
            "default.replication.factor); set spec.replicas to at least 3",
            'KafkaTopic "orphan" sets no spec.replicas, and its cluster Kafka "elsewhere" is not '
            "in the stack to give it; set spec.replicas to at least 3",
            'KafkaTopic "unlabelled" sets no spec.replicas, nor a strimzi.io/cluster label naming '
            "the cluster that gives it; set spec.replicas to at least 3",
        ],
    ),
    (
        "kafka-min-insync-replicas",
        {},
        [
            kafka(),
            kafka_topic(),
            kafka_topic("inherits", replicas=None),
            kafka_topic("wide", replicas=5, config={"min.insync.replicas": 3}),
            kafka("pair", {"default.replication.factor": 2, "min.insync.replicas": 1}),
            kafka_topic("pair", replicas=None, cluster="pair"),
            kafka_topic("single", replicas=1, config={"min.insync.replicas": 1}),
        ],
        [
            kafka("events", {"min.insync.replicas": None}),
            STRICT,
            kafka_topic("clicks", replicas=3, config={"min.insync.replicas": 3}),
            kafka_topic("inherits", replicas=None),
            kafka_topic("pairs", replicas=2, cluster="strict"),
            kafka_topic("greedy", replicas=1, config={"min.insync.replicas": 2}),
            kafka_topic("orphan", replicas=4, cluster="elsewhere"),
            kafka_topic("unknown", replicas=None, cluster="elsewhere"),
        ],
        [
            'Kafka "events" has min.insync.replicas 1 (unset: Kafka\'s default) for '
            "default.replication.factor 3, so an acks=all write may be acknowledged by a single "
            "broker; allowed: 2",
            'KafkaTopic "clicks" has min.insync.replicas 3 for replicas 3, so losing one broker '
            "stops acks=all producers; allowed: 2",
            'KafkaTopic "inherits" has min.insync.replicas 1 (Kafka\'s default, as Kafka "events" '
            'sets no min.insync.replicas) for replicas 3 (from Kafka "events"\'s '
            "default.replication.factor), so an acks=all write may be acknowledged by a single "
            "broker; allowed: 2",
            'KafkaTopic "pairs" has min.insync.replicas 2 (from Kafka "strict"\'s '
            "min.insync.replicas) for replicas 2, so losing one broker stops acks=all producers; "
            "allowed: 1",
            'KafkaTopic "greedy" has min.insync.replicas 2 for replicas 1, so every acks=all '
            "write fails; allowed: 1",
            'KafkaTopic "orphan" sets no spec.config["min.insync.replicas"], and its cluster '
            'Kafka "elsewhere" is not in the stack to give it; set it to 2..3',
        ],
    ),
    (
        "kafka-unclean-leader-election",
        {},
        [
            kafka(),
            kafka("quiet", {"unclean.leader.election.enable": None}),
            kafka_topic(config={"unclean.leader.election.enable": "false"}),
        ],
        [
            kafka(config={"unclean.leader.election.enable": True}),
            kafka_topic(config={"unclean.leader.election.enable": " TRUE "}),
        ],
        [
            'Kafka "events" enables unclean leader election '
            '(spec.kafka.config["unclean.leader.election.enable"]), so a replica that missed '
            "acknowledged writes may become leader and lose them; set it false",
            'KafkaTopic "clicks" enables unclean leader election '
            '(spec.config["unclean.leader.election.enable"]), so a replica that missed '
            "acknowledged writes may become leader and lose them; set it false",
        ],
    ),
    (
        "kafka-storage",
        {"allowedRoles": ["replicated", "db"]},
        [
            *CLASSES,
            kafka_node_pool("jbod", {"type": "jbod", "volumes": [kafka_volume("px-replicated")]}),
            kafka_node_pool("single", kafka_volume("px-db", deleteClaim=False)),
            # Classes outside the stack are the catalog policy's to name.
            kafka_node_pool("foreign", kafka_volume("gp3")),
            kafka(),  # v1: node pools hold the storage
        ],
        [
            *CLASSES,
            kafka_node_pool(
                "brokers",
                {
                    "type": "jbod",
                    "volumes": [
                        kafka_volume("px-scratch", id=0, deleteClaim=True),
                        {"id": 1, "type": "ephemeral"},
                        kafka_volume("px-shared", id=2),
                        kafka_volume("px-plain", id=3),
                    ],
                },
            ),
            kafka_node_pool("throwaway", {"type": "ephemeral"}),
        ],
        [
            'KafkaNodePool "brokers" sets spec.storage.volumes[0].deleteClaim: true, so Strimzi '
            "deletes the claim whenever its Kafka node is deleted (scale-down or cluster "
            "deletion); set it false",
            "KafkaNodePool \"brokers\" has spec.storage.volumes[0].class 'px-scratch', a class of "
            "role scratch; Kafka volumes need one of the roles: replicated, db",
            'KafkaNodePool "brokers" keeps spec.storage.volumes[1] on ephemeral storage (an '
            "emptyDir), which is lost whenever its pod restarts or moves; use type "
            "persistent-claim",
            "KafkaNodePool \"brokers\" has spec.storage.volumes[2].class 'px-shared', a sharedv4 "
            "class, whose volumes are served over NFS; Kafka needs block volumes of its own for "
            "its logs",
            "KafkaNodePool \"brokers\" has spec.storage.volumes[3].class 'px-plain', a class "
            "without a storage role; Kafka volumes need one of the roles: replicated, db",
            'KafkaNodePool "throwaway" keeps spec.storage on ephemeral storage (an emptyDir), '
            "which is lost whenever its pod restarts or moves; use type persistent-claim",
        ],
    ),
    (
        "kafka-listener-authentication",
        {},
        [kafka(), kafka(listeners=AUTHENTICATED_LISTENERS)],
        [kafka(listeners=[AUTHENTICATED_LISTENERS[0], PLAIN_LISTENER])],
        [
            'Kafka "events" has listener "plain" (spec.kafka.listeners[1]) without '
            "authentication, so any client that reaches it connects as User:ANONYMOUS; set "
            "spec.kafka.listeners[1].authentication (type tls, scram-sha-512 or custom)"
        ],
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("name", "settings", "passing", "failing", "expected"), CASES, ids=IDS)
@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
def test_policy_passes_good_resources(run, name, settings, passing, failing, expected):
    assert run(name, passing, settings) == []


@pytest.mark.parametrize(("name", "settings", "passing", "failing", "expected"), CASES, ids=IDS)
@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
def test_policy_fails_bad_resources(run, name, settings, passing, failing, expected):
    assert run(name, failing, settings) == expected


def with_version(resource: Resource, version: str) -> Resource:
    """The same object served by another version of the Strimzi API."""
    group_kind = resource.type.rsplit("/", 1)[0]
    kind = resource.type.rsplit(":", 1)[-1]
    props = {**resource.props, "apiVersion": f"kafka.strimzi.io/{version}"}
    return Resource(f"{group_kind}/{version}:{kind}", resource.name, props, resource.urn)


@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
@pytest.mark.parametrize(("name", "settings", "passing", "failing", "expected"), CASES, ids=IDS)
def test_v1beta2_objects_are_judged_like_v1(run, name, settings, passing, failing, expected):
    old = [with_version(r, "v1beta2") if "strimzi" in r.type else r for r in failing]
    assert run(name, old, settings) == expected


@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
def test_the_zookeeper_era_kafka_storage_is_judged_with_its_per_broker_overrides(run):
    overridden = kafka_volume(
        "px-db",
        deleteClaim=True,
        overrides=[{"broker": 0, "class": "px-scratch"}],
    )
    old = kafka(version="v1beta2")
    old.props["spec"]["kafka"]["storage"] = overridden
    old.props["spec"]["zookeeper"] = {"replicas": 3, "storage": {"type": "ephemeral"}}
    assert run("kafka-storage", [*CLASSES, old]) == [
        'Kafka "events" sets spec.kafka.storage.deleteClaim: true, so Strimzi deletes the claim '
        "whenever its Kafka node is deleted (scale-down or cluster deletion); set it false",
        "Kafka \"events\" has spec.kafka.storage.overrides[0].class 'px-scratch', a class of role "
        "scratch; Kafka volumes need one of the roles: replicated, db",
        'Kafka "events" keeps spec.zookeeper.storage on ephemeral storage (an emptyDir), which '
        "is lost whenever its pod restarts or moves; use type persistent-claim",
    ]


def test_config_counts_may_be_strings_and_the_sdk_s_floats_read_as_whole_numbers():
    cluster = kafka(config={"default.replication.factor": "2", "min.insync.replicas": " 2 "})
    topic = kafka_topic(replicas=1.0, config={"min.insync.replicas": 1.0})
    assert messages("kafka-replication", [cluster, topic]) == [
        'Kafka "events" has default.replication.factor 2; set '
        'spec.kafka.config["default.replication.factor"] to at least 3',
        'KafkaTopic "clicks" has replicas 1; set spec.replicas to at least 3',
    ]
    assert messages("kafka-min-insync-replicas", [cluster, topic]) == [
        'Kafka "events" has min.insync.replicas 2 for default.replication.factor 2, so losing '
        "one broker stops acks=all producers; allowed: 1"
    ]


def test_a_min_isr_below_one_is_one_kafka_refuses():
    assert messages(
        "kafka-min-insync-replicas", [kafka_topic(replicas=1, config={"min.insync.replicas": 0})]
    ) == [
        'KafkaTopic "clicks" has min.insync.replicas 0 for replicas 1, which Kafka refuses; '
        "allowed: 1"
    ]


@pytest.mark.parametrize(
    ("policy", "resource", "error"),
    [
        (
            "kafka-replication",
            kafka(config={"default.replication.factor": "three"}),
            'kubernetes:kafka.strimzi.io/v1:Kafka "events": '
            'spec.kafka.config["default.replication.factor"] should be a whole number, not the '
            "string 'three'",
        ),
        (
            "kafka-min-insync-replicas",
            kafka_topic(config={"min.insync.replicas": 1.5}),
            'kubernetes:kafka.strimzi.io/v1:KafkaTopic "clicks": '
            'spec.config["min.insync.replicas"] should be a whole number, not the number 1.5',
        ),
        (
            "kafka-replication",
            kafka_topic(replicas="3"),
            'kubernetes:kafka.strimzi.io/v1:KafkaTopic "clicks": spec.replicas should be a '
            "number, not the string '3'",
        ),
        (
            "kafka-unclean-leader-election",
            kafka(config={"unclean.leader.election.enable": "yes"}),
            'kubernetes:kafka.strimzi.io/v1:Kafka "events": '
            'spec.kafka.config["unclean.leader.election.enable"] should be true or false, not '
            "the string 'yes'",
        ),
        (
            "kafka-listener-authentication",
            kafka(listeners=[{**PLAIN_LISTENER, "name": None}]),
            'kubernetes:kafka.strimzi.io/v1:Kafka "events": spec.kafka.listeners[0].name is '
            "missing",
        ),
    ],
)
def test_a_value_of_the_wrong_shape_is_an_input_error_naming_it(policy, resource, error):
    with pytest.raises(InputError) as caught:
        messages(policy, [resource])
    assert str(caught.value) == error


def test_defaults_ask_for_three_replicas_and_replicated_or_db_persistent_volumes():
    assert messages("kafka-replication", [kafka_topic(replicas=2)]) == [
        'KafkaTopic "clicks" has replicas 2; set spec.replicas to at least 3'
    ]
    pool = kafka_node_pool("brokers", kafka_volume("px-scratch"))
    assert messages("kafka-storage", [*CLASSES, pool]) == [
        "KafkaNodePool \"brokers\" has spec.storage.class 'px-scratch', a class of role scratch; "
        "Kafka volumes need one of the roles: replicated, db"
    ]


def test_settings_lower_the_replicas_allow_roles_and_let_throwaway_clusters_be_ephemeral():
    assert messages("kafka-replication", [kafka_topic(replicas=2)], {"minimum": 2}) == []
    pools = [
        kafka_node_pool("scratch", kafka_volume("px-scratch")),
        kafka_node_pool("throwaway", {"type": "ephemeral"}),
    ]
    settings = {"allowedRoles": ["scratch"], "allowEphemeral": True}
    assert messages("kafka-storage", [*CLASSES, *pools], settings) == []


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (
            {"kafka-storage": {"allowedRoles": []}},
            "kafka-storage.allowedRoles: [] should be non-empty",
        ),
        (
            {"kafka-replication": {"minimum": 0}},
            "kafka-replication.minimum: 0 is less than the minimum of 1",
        ),
    ],
)
def test_settings_that_would_pass_nothing_or_everything_are_refused(config, error):
    from policies.engine import PolicyConfigError

    with pytest.raises(PolicyConfigError) as caught:
        resolve(POLICIES, config)
    assert str(caught.value) == error


@pytest.mark.parametrize(
    ("stack", "listener_level"),
    [("dev", "advisory"), ("staging", "advisory"), ("prod", "mandatory")],
)
def test_each_stack_sets_the_listener_level_and_asks_for_three_replicas(stack, listener_level):
    config = load_pack_config(PROJECT_DIR / "policies" / "config" / f"{stack}.json")
    resolved = {r.policy.name: r for r in resolve(POLICIES, config)}
    assert resolved["kafka-listener-authentication"].level == listener_level
    assert resolved["kafka-replication"].settings == {"minimum": 3}
    assert resolved["kafka-replication"].level == "mandatory"
    assert resolved["kafka-storage"].level == "mandatory"


def judged(policy: str, resources: list[Resource], complete: bool = True):
    resolved = [r for r in resolve(POLICIES, {}) if r.policy.name == policy]
    return evaluate(resolved, resources, complete)


def test_a_preview_without_sames_cannot_give_a_topic_its_cluster_s_default():
    with pytest.raises(InputError) as caught:
        judged("kafka-replication", [kafka_topic(replicas=None)], complete=False)
    assert str(caught.value) == (
        'kafka-replication cannot judge kubernetes:kafka.strimzi.io/v1:KafkaTopic "clicks": it '
        'sets no spec.replicas, so its cluster Kafka "events" gives it, and the preview leaves '
        "out the resources it does not change, which may include that cluster. Run "
        "`pulumi preview --json --show-sames`."
    )
    # A topic that states what it needs is judged without its cluster.
    stated = kafka_topic(replicas=3, config={"min.insync.replicas": 2})
    assert judged("kafka-min-insync-replicas", [stated], complete=False).violations == []


def test_a_topic_reads_its_cluster_in_its_own_namespace_only():
    elsewhere = kafka(config={"default.replication.factor": 1})
    elsewhere.props["metadata"]["namespace"] = "other"
    assert messages("kafka-replication", [elsewhere, kafka_topic(replicas=None)])[-1] == (
        'KafkaTopic "clicks" sets no spec.replicas, and its cluster Kafka "events" is not in the '
        "stack to give it; set spec.replicas to at least 3"
    )


def test_a_hidden_value_skips_the_stack_policy_in_the_engine_and_inside_pulumi():
    from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UnknownValueError

    hidden = kafka_topic(replicas=UNKNOWN_NUMBER_VALUE)
    evaluation = judged("kafka-replication", [kafka(), hidden])
    assert evaluation.violations == []
    assert [(s.policy, s.reason) for s in evaluation.skipped] == [
        (
            "kafka-replication",
            'kubernetes:kafka.strimzi.io/v1:KafkaTopic "clicks": spec.replicas is not known '
            "until the update runs",
        )
    ]
    with pytest.raises(UnknownValueError):
        pulumi_messages("kafka-replication", [kafka(), hidden])


def test_any_value_in_a_kafka_preview_gives_an_exit_code_and_named_errors():
    strimzi = [
        kafka(),
        kafka_topic(replicas=None, config={"min.insync.replicas": 2}),
        kafka_node_pool("brokers", {"type": "jbod", "volumes": [kafka_volume("px-replicated")]}),
    ]
    document = preview_document(
        step("create", SC, dict(REPLICATED.props)),
        *(step("create", r.type, r.props) for r in strimzi),
    )
    assert _evaluate(document) == (0, "")
    # Every field of every resource's inputs, replaced by a value of every type.
    inputs = [path for path in json_paths(document) if path[3:4] == ("inputs",)]
    for path in inputs:
        for value in REPLACEMENTS:
            code, err = _evaluate(_replaced(document, path, value))
            assert code in (0, 1, 2), (path, value)
            assert (code == 2) == bool(err), (path, value, err)
            assert all(line.startswith("error: ") for line in err.splitlines()), (path, value)
