"""Each Elasticsearch policy, passing and failing, through the engine and through pulumi_policy:
the classes of nodeSets' volumes, data nodes and the master quorum, TLS on the HTTP layer; and
Elasticsearch's volumes in the capacity plan and the quota policy."""

from __future__ import annotations

import pytest

from policies.capacity import plan
from policies.engine import PolicyConfigError, evaluate, load_pack_config, resolve
from policies.pack import POLICIES, VOLUME_READERS
from policies.record import InputError, Resource
from tests.conftest import PROJECT_DIR
from tests.policies.helpers import (
    elasticsearch,
    es_node_set,
    json_paths,
    messages,
    pulumi_messages,
    storage_class,
)
from tests.policies.test_capacity import quota
from tests.policies.test_evaluate import SC, preview_document, step
from tests.policies.test_evaluate_robustness import REPLACEMENTS, _evaluate, _replaced

GI = 2**30
REPLICATED = storage_class("px-replicated", role="replicated")
DB = storage_class("px-db", role="db")
SCRATCH = storage_class("px-scratch", role="scratch")
SHARED = storage_class("px-shared", role="replicated", parameters={"sharedv4": "true"})
UNLABELLED = storage_class("px-plain", role=None)
CLASSES = [REPLICATED, DB, SCRATCH, SHARED, UNLABELLED]

ANNOTATED = es_node_set("annotated", class_name="px-db")
ANNOTATED["volumeClaimTemplates"][0]["metadata"]["annotations"] = {
    "volume.beta.kubernetes.io/storage-class": "px-scratch"
}
# Data nodes of ECK's own 1Gi claim, on the cluster's default class.
UNCLAIMED = {"name": "unclaimed", "count": 2, "config": {"node.roles": ["data"]}}
WITHOUT_COUNT = {"name": "pending", "config": {"node.roles": ["data"]}}

DISABLED = {"selfSignedCertificate": {"disabled": True}}
QUORUM = (
    "run an odd number, at least 3: a majority of them elects the master, and an even number "
    "survives no more losses than one fewer"
)
REPLICA_ROOM = (
    "run at least 2, so that every shard keeps a replica on another node than its primary"
)
ROLES = "Elasticsearch volumes need one of the roles: replicated, db"
PLAIN_HTTP = (
    "so its HTTP layer serves plain HTTP and clients send credentials and documents in clear; "
    "set it false, or name a Secret with a certificate in spec.http.tls.certificate.secretName"
)

# (policy, settings, resources that pass, resources that fail, the failing messages)
CASES = [
    (
        "elasticsearch-storage",
        {"allowedRoles": ["replicated", "db"]},
        [
            *CLASSES,
            elasticsearch(),
            elasticsearch(
                es_node_set("on-db", class_name="px-db"),
                # Classes outside the stack and claims naming none are the catalog policy's.
                es_node_set("foreign", class_name="gp3"),
                es_node_set("unnamed", class_name=None),
                UNCLAIMED,
                name="other",
            ),
        ],
        [
            *CLASSES,
            elasticsearch(
                es_node_set("hot", class_name="px-scratch"),
                es_node_set("shared", class_name="px-shared"),
                es_node_set("plain", class_name="px-plain"),
                ANNOTATED,
            ),
        ],
        [
            'Elasticsearch "logs" nodeSet "hot" has '
            "spec.nodeSets[0].volumeClaimTemplates[0].spec.storageClassName 'px-scratch', a "
            f"class of role scratch; {ROLES}",
            'Elasticsearch "logs" nodeSet "shared" has '
            "spec.nodeSets[1].volumeClaimTemplates[0].spec.storageClassName 'px-shared', a "
            "sharedv4 class, whose volumes are served over NFS; each Elasticsearch node needs a "
            "block volume of its own for its indices",
            'Elasticsearch "logs" nodeSet "plain" has '
            "spec.nodeSets[2].volumeClaimTemplates[0].spec.storageClassName 'px-plain', a class "
            f"without a storage role; {ROLES}",
            'Elasticsearch "logs" nodeSet "annotated" has spec.nodeSets[3].volumeClaimTemplates[0]'
            ".metadata.annotations[\"volume.beta.kubernetes.io/storage-class\"] 'px-scratch', a "
            f"class of role scratch; {ROLES}",
        ],
    ),
    (
        "elasticsearch-topology",
        {},
        [
            elasticsearch(),
            # Three nodes of every role, counted as the SDK's floats.
            elasticsearch(es_node_set("all", 3.0), name="combined"),
            elasticsearch(
                {"name": "masters", "count": 5, "config": {"node": {"roles": ["master"]}}},
                es_node_set("hot", 1, "data_hot, data_content"),
                es_node_set("warm", 1, ["data_warm"]),
                es_node_set("coordinating", 2, []),
                name="tiers",
            ),
        ],
        [
            elasticsearch(es_node_set("single", 1), name="single"),
            elasticsearch(
                es_node_set("masters", 4, ["master"]),
                es_node_set("data", 2, ["data", "ingest"]),
                es_node_set("coordinating", 2, []),
                name="even",
            ),
            elasticsearch(es_node_set("masters", 3, ["master"]), WITHOUT_COUNT, name="pending"),
            elasticsearch(es_node_set("masters", 3, ["master"]), name="masters-only"),
            elasticsearch(
                {"name": "masters", "count": 2, "config": {"node": {"roles": ["master"]}}},
                es_node_set("hot", 1, "data_hot,ingest"),
                name="forms",
            ),
        ],
        [
            f'Elasticsearch "single" has 1 data node (nodeSet "single": 1); {REPLICA_ROOM}',
            f'Elasticsearch "single" has 1 master-eligible node (nodeSet "single": 1); {QUORUM}',
            f'Elasticsearch "even" has 4 master-eligible nodes (nodeSet "masters": 4); {QUORUM}',
            f'Elasticsearch "pending" has 0 data nodes (nodeSet "pending": 0); {REPLICA_ROOM}',
            'Elasticsearch "masters-only" has 0 data nodes (no nodeSet has the data role); '
            f"{REPLICA_ROOM}",
            f'Elasticsearch "forms" has 1 data node (nodeSet "hot": 1); {REPLICA_ROOM}',
            f'Elasticsearch "forms" has 2 master-eligible nodes (nodeSet "masters": 2); {QUORUM}',
        ],
    ),
    (
        "elasticsearch-http-tls",
        {},
        [
            elasticsearch(),
            elasticsearch(http={"tls": {"selfSignedCertificate": {"disabled": False}}}),
            elasticsearch(http={"tls": {**DISABLED, "certificate": {"secretName": "logs-tls"}}}),
            elasticsearch(
                http={"tls": {"selfSignedCertificate": {"subjectAltNames": [{"dns": "es.lan"}]}}}
            ),
        ],
        [
            elasticsearch(http={"tls": DISABLED}),
            elasticsearch(name="blank", http={"tls": {**DISABLED, "certificate": {}}}),
        ],
        [
            'Elasticsearch "logs" sets spec.http.tls.selfSignedCertificate.disabled: true and no '
            f"spec.http.tls.certificate.secretName, {PLAIN_HTTP}",
            'Elasticsearch "blank" sets spec.http.tls.selfSignedCertificate.disabled: true and no '
            f"spec.http.tls.certificate.secretName, {PLAIN_HTTP}",
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


def v1beta1(resource: Resource) -> Resource:
    """The same object served by ECK's older API version."""
    props = {**resource.props, "apiVersion": "elasticsearch.k8s.elastic.co/v1beta1"}
    kind = resource.type.replace("/v1:", "/v1beta1:")
    return Resource(kind, resource.name, props, resource.urn)


@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
@pytest.mark.parametrize(("name", "settings", "passing", "failing", "expected"), CASES, ids=IDS)
def test_v1beta1_objects_are_judged_like_v1(run, name, settings, passing, failing, expected):
    old = [v1beta1(r) if r.type.endswith(":Elasticsearch") else r for r in failing]
    assert run(name, old, settings) == expected


def test_settings_allow_roles_and_set_the_least_data_and_master_nodes():
    scratch = elasticsearch(es_node_set("all", 1, class_name="px-scratch"))
    assert (
        messages("elasticsearch-storage", [*CLASSES, scratch], {"allowedRoles": ["scratch"]}) == []
    )
    relaxed = {"minimumDataNodes": 1, "minimumMasterNodes": 1}
    assert messages("elasticsearch-topology", [scratch], relaxed) == []
    # Whatever the minimum, an even count of masters is refused.
    pair = elasticsearch(es_node_set("pair", 2))
    assert messages("elasticsearch-topology", [pair], relaxed) == [
        'Elasticsearch "logs" has 2 master-eligible nodes (nodeSet "pair": 2); run an odd '
        "number, at least 1: a majority of them elects the master, and an even number survives "
        "no more losses than one fewer"
    ]
    assert messages("elasticsearch-topology", [elasticsearch()], {"minimumDataNodes": 3}) == [
        'Elasticsearch "logs" has 2 data nodes (nodeSet "data": 2); run at least 3, so that '
        "every shard keeps a replica on another node than its primary"
    ]


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (
            {"elasticsearch-storage": {"allowedRoles": []}},
            "elasticsearch-storage.allowedRoles: [] should be non-empty",
        ),
        (
            {"elasticsearch-topology": {"minimumMasterNodes": 0}},
            "elasticsearch-topology.minimumMasterNodes: 0 is less than the minimum of 1",
        ),
        (
            {"elasticsearch-topology": {"minimumDataNodes": 0}},
            "elasticsearch-topology.minimumDataNodes: 0 is less than the minimum of 1",
        ),
    ],
)
def test_settings_that_would_pass_every_cluster_are_refused(config, error):
    with pytest.raises(PolicyConfigError) as caught:
        resolve(POLICIES, config)
    assert str(caught.value) == error


def stack_policies(stack: str) -> dict:
    config = load_pack_config(PROJECT_DIR / "policies" / "config" / f"{stack}.json")
    return {r.policy.name: r for r in resolve(POLICIES, config)}


@pytest.mark.parametrize(
    ("stack", "tls_level", "topology_level", "topology"),
    [
        ("dev", "advisory", "advisory", {"minimumDataNodes": 1, "minimumMasterNodes": 1}),
        ("staging", "advisory", "mandatory", {"minimumDataNodes": 2, "minimumMasterNodes": 3}),
        ("prod", "mandatory", "mandatory", {"minimumDataNodes": 2, "minimumMasterNodes": 3}),
    ],
)
def test_each_stack_sets_the_levels_and_the_topology_it_runs(
    stack, tls_level, topology_level, topology
):
    resolved = stack_policies(stack)
    assert resolved["elasticsearch-http-tls"].level == tls_level
    assert resolved["elasticsearch-topology"].level == topology_level
    assert resolved["elasticsearch-topology"].settings == topology
    assert resolved["elasticsearch-storage"].level == "mandatory"
    assert resolved["elasticsearch-storage"].settings == {"allowedRoles": ["replicated", "db"]}


def test_dev_runs_one_combined_node_that_prod_refuses():
    single = [REPLICATED, elasticsearch(es_node_set("all", 1))]
    # The node's claim has no snapshot schedule here: coverage is not what this is about.
    judged = [
        policies
        for policies in (stack_policies("dev"), stack_policies("prod"))
        if policies.pop("storage-cloud-snapshot-coverage")
    ]
    assert evaluate(list(judged[0].values()), single).violations == []
    refused = evaluate(list(judged[1].values()), single).violations
    assert [(v.policy, v.level) for v in refused] == [
        ("elasticsearch-topology", "mandatory"),
        ("elasticsearch-topology", "mandatory"),
    ]


@pytest.mark.parametrize(
    ("policy", "node_set", "error"),
    [
        (
            "elasticsearch-topology",
            {"name": "all", "count": "3"},
            "spec.nodeSets[0].count should be a number, not the string '3'",
        ),
        (
            "elasticsearch-topology",
            {"name": "all", "count": 2.5},
            "spec.nodeSets[0].count should be a whole number, 0 or more, not the number 2.5",
        ),
        (
            "elasticsearch-topology",
            {"name": "all", "count": -1},
            "spec.nodeSets[0].count should be a whole number, 0 or more, not the number -1",
        ),
        (
            "elasticsearch-topology",
            {"name": "all", "count": 3, "config": {"node.roles": 3}},
            'spec.nodeSets[0].config["node.roles"] should be a list, not the number 3',
        ),
        (
            "elasticsearch-topology",
            {"name": "all", "count": 3, "config": {"node.roles": [1]}},
            'spec.nodeSets[0].config["node.roles"][0] should be a string, not the number 1',
        ),
        (
            "elasticsearch-topology",
            {"name": "all", "count": 3, "config": {"node": "master"}},
            "spec.nodeSets[0].config.node should be an object, not the string 'master'",
        ),
        (
            "elasticsearch-storage",
            {"name": None, "volumeClaimTemplates": []},
            "spec.nodeSets[0].name is missing",
        ),
    ],
)
def test_a_value_of_the_wrong_shape_is_an_input_error_naming_it(policy, node_set, error):
    with pytest.raises(InputError) as caught:
        messages(policy, [REPLICATED, elasticsearch(node_set)])
    assert str(caught.value) == (
        f'kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch "logs": {error}'
    )


def test_a_tls_flag_of_the_wrong_shape_is_an_input_error():
    resource = elasticsearch(http={"tls": {"selfSignedCertificate": {"disabled": "true"}}})
    with pytest.raises(InputError) as caught:
        messages("elasticsearch-http-tls", [resource])
    assert str(caught.value) == (
        'kubernetes:elasticsearch.k8s.elastic.co/v1:Elasticsearch "logs": '
        "spec.http.tls.selfSignedCertificate.disabled should be true or false, not the string "
        "'true'"
    )


def cluster_with_every_claim() -> Resource:
    """3 masters on 5Gi, 2 data nodes on 50Gi (both on px-replicated), and 2 data nodes on the
    claim ECK adds itself."""
    return elasticsearch(
        es_node_set("masters", 3.0, ["master"], size="5Gi"),
        es_node_set("data", 2.0, ["data"]),
        UNCLAIMED,
        # A nodeSet of no nodes claims nothing.
        WITHOUT_COUNT,
    )


def test_the_plan_counts_each_node_set_s_claims_and_the_one_eck_adds():
    capacity = plan([REPLICATED, cluster_with_every_claim()], VOLUME_READERS)
    rows = [(r.class_name, r.role, r.repl, r.volumes, r.requested, r.raw) for r in capacity.classes]
    assert rows == [
        ("(default class)", None, 1, 2, 2 * GI, 2 * GI),
        ("px-replicated", "replicated", 3, 5, 115 * GI, 345 * GI),
    ]
    assert [(q.namespace, q.class_name, q.claimed) for q in capacity.quotas] == [
        ("events", "(any class)", 117 * GI),
        ("events", "(default class)", 2 * GI),
        ("events", "px-replicated", 115 * GI),
    ]


@pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])
def test_the_quota_policy_counts_elasticsearch_s_volumes(run):
    resources = [REPLICATED, cluster_with_every_claim()]
    assert run("storage-claims-within-quota", [*resources, quota("events", {})]) == []
    over = quota("events", {"requests.storage": "100Gi"})
    assert run("storage-claims-within-quota", [*resources, over]) == [
        "the claims of namespace 'events' request 117Gi in all, more than its quota of 100Gi: "
        "the volumes over it would never be provisioned; raise the pipeline's storage quota for "
        "the role or claim less"
    ]


def test_any_value_in_an_elasticsearch_preview_gives_an_exit_code_and_named_errors():
    cluster = elasticsearch(
        es_node_set("masters", 3, ["master"], size="5Gi"),
        es_node_set("data", 2, ["data"]),
        http={"tls": {**DISABLED, "certificate": {"secretName": "logs-tls"}}},
    )
    document = preview_document(
        step("create", SC, dict(REPLICATED.props)),
        step("create", "kubernetes:core/v1:ResourceQuota", quota("events", {}).props),
        step("create", cluster.type, cluster.props),
    )
    assert _evaluate(document) == (0, "")
    # Every field of the cluster's inputs, replaced by a value of every type.
    inputs = [
        path for path in json_paths(document) if path[:4] == ("steps", 3, "newState", "inputs")
    ]
    for path in inputs:
        for value in REPLACEMENTS:
            code, err = _evaluate(_replaced(document, path, value))
            assert code in (0, 1, 2), (path, value)
            assert (code == 2) == bool(err), (path, value, err)
            assert all(line.startswith("error: ") for line in err.splitlines()), (path, value)
