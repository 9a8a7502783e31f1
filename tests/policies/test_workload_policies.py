"""The workload policy, passing and failing, through the engine and through pulumi_policy: every
pod of the built-in kinds and of Spark applications passes the "restricted" Pod Security
Standard, and every container sets CPU and memory limits and a memory request."""

from __future__ import annotations

import pytest

from policies.engine import evaluate, load_pack_config, resolve
from policies.pack import POLICIES
from policies.record import InputError, Resource
from tests.conftest import PROJECT_DIR
from tests.pipeline.test_check import evaluate_changed_output, first_of_kind
from tests.policies.helpers import (
    POD_KINDS,
    RESTRICTED_CONTAINER,
    container,
    messages,
    pulumi_messages,
    spark_application,
    spark_role,
    workload,
)

POLICY = "workload-restricted-pods"
LIMITS_REASON = (
    "every container needs CPU and memory limits and a memory request, or it can take its "
    "node's CPU and memory from the other pods there"
)
SECCOMP_ADVICE = "set it to RuntimeDefault or Localhost"
HOST_PATH_ADVICE = (
    "the restricted standard admits no hostPath volume: use a PersistentVolumeClaim or an emptyDir"
)
RUNS = pytest.mark.parametrize("run", [messages, pulumi_messages], ids=["engine", "pulumi_policy"])


def passing() -> list[Resource]:
    own_settings = {
        **RESTRICTED_CONTAINER,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/tf.json"},
        "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]},
    }
    return [
        *(workload(kind) for kind in POD_KINDS),
        # Each container may carry the settings itself, with none on the pod.
        workload(
            "Deployment",
            "self-contained",
            securityContext=None,
            hostNetwork=False,
            containers=[container(securityContext=own_settings, ports=[{"containerPort": 80}])],
            initContainers=[container("setup", securityContext=own_settings)],
            volumes=[{"name": "tmp", "emptyDir": {}}],
        ),
        spark_application(),
        spark_application(scheduled=True),
    ]


def failing_deployment() -> Resource:
    return workload(
        "Deployment",
        "bad",
        hostNetwork=True,
        hostPID=True,
        securityContext={"runAsNonRoot": False, "seccompProfile": {"type": "Unconfined"}},
        containers=[
            container(
                "app",
                securityContext={
                    "privileged": True,
                    "capabilities": {"add": ["NET_BIND_SERVICE", "SYS_ADMIN"]},
                },
                ports=[{"containerPort": 80, "hostPort": 80}],
                resources={"limits": {"memory": "1Gi"}},
            )
        ],
        initContainers=[
            container(
                "setup",
                securityContext={
                    **RESTRICTED_CONTAINER,
                    "allowPrivilegeEscalation": True,
                    "runAsNonRoot": False,
                    "seccompProfile": {"type": "Unconfined"},
                },
                resources=None,
            )
        ],
        volumes=[{"name": "logs", "hostPath": {"path": "/var/log"}}],
    )


POD = "spec.template.spec"
APP = 'Deployment "bad" container "app"'
APP_SECURITY = f"{POD}.containers[0].securityContext"
SETUP = 'Deployment "bad" init container "setup"'
SETUP_SECURITY = f"{POD}.initContainers[0].securityContext"
DEPLOYMENT_EXPECTED = [
    f'Deployment "bad" sets {POD}.hostNetwork: true, which shares the node\'s network namespace '
    "with the pod; remove it",
    f'Deployment "bad" sets {POD}.hostPID: true, which shares the node\'s process namespace '
    "with the pod; remove it",
    f'Deployment "bad" sets {POD}.securityContext.runAsNonRoot: false, so its containers may '
    "run as root",
    f"Deployment \"bad\" sets {POD}.securityContext.seccompProfile.type to 'Unconfined'; "
    f"{SECCOMP_ADVICE}",
    f"{APP} sets {APP_SECURITY}.privileged: true, which hands it the node's devices and every "
    "capability; remove it",
    f"{APP} has {APP_SECURITY}.allowPrivilegeEscalation unset; set it false, or a setuid binary "
    "in the container can gain privileges",
    f"{APP} does not drop ALL in {APP_SECURITY}.capabilities.drop; drop ALL and add back only "
    "what it needs",
    f"{APP} adds SYS_ADMIN in {APP_SECURITY}.capabilities.add; the restricted standard lets a "
    "container add back only NET_BIND_SERVICE",
    f"{APP} binds host port 80 at {POD}.containers[0].ports[0].hostPort; remove it and reach "
    "the pod through a Service",
    f"{APP} sets no {POD}.containers[0].resources.limits.cpu, "
    f"{POD}.containers[0].resources.requests.memory; {LIMITS_REASON}",
    f"{SETUP} has {SETUP_SECURITY}.allowPrivilegeEscalation true; set it false, or a setuid "
    "binary in the container can gain privileges",
    f"{SETUP} sets {SETUP_SECURITY}.runAsNonRoot: false, so it may run as root; set it true",
    f"{SETUP} sets {SETUP_SECURITY}.seccompProfile.type to 'Unconfined'; {SECCOMP_ADVICE}",
    f"{SETUP} sets no {POD}.initContainers[0].resources.limits.cpu, "
    f"{POD}.initContainers[0].resources.limits.memory, "
    f"{POD}.initContainers[0].resources.requests.memory; {LIMITS_REASON}",
    f"Deployment \"bad\" mounts host path '/var/log' as volume 'logs' at "
    f"{POD}.volumes[0].hostPath; {HOST_PATH_ADVICE}",
]


def unset_everywhere(who: str, security: str, pod_security: str) -> list[str]:
    """What a container hears when neither it nor its pod sets any security setting."""
    return [
        f"{who} has {security}.allowPrivilegeEscalation unset; set it false, or a setuid binary "
        "in the container can gain privileges",
        f"{who} does not drop ALL in {security}.capabilities.drop; drop ALL and add back only "
        "what it needs",
        f"{who} may run as root: set {security}.runAsNonRoot or {pod_security}.runAsNonRoot true",
        f"{who} runs without a seccomp profile: set {security}.seccompProfile.type or "
        f"{pod_security}.seccompProfile.type to RuntimeDefault or Localhost",
    ]


def failing_spark(scheduled: bool) -> Resource:
    driver = spark_role(
        coreLimit=None,
        securityContext={"privileged": True},
        podSecurityContext=None,
        hostNetwork=True,
        sidecars=[container("proxy", securityContext=RESTRICTED_CONTAINER, resources=None)],
    )
    executor = spark_role(memory=None, template={"spec": {}})
    volumes = [{"name": "host", "hostPath": {"path": "/"}}]
    return spark_application(driver=driver, executor=executor, volumes=volumes, scheduled=scheduled)


def spark_expected(scheduled: bool) -> list[str]:
    kind = "ScheduledSparkApplication" if scheduled else "SparkApplication"
    who = f'{kind} "clicks-stream"'
    spec = "spec.template" if scheduled else "spec"
    driver, executor = f"{spec}.driver", f"{spec}.executor"
    main = f'{who} driver container "spark-kubernetes-driver"'
    sidecar = f'{who} driver sidecar "proxy"'
    sidecar_security = f"{driver}.sidecars[0].securityContext"
    return [
        f"{who} sets {driver}.hostNetwork: true, which shares the node's network namespace with "
        "the pod; remove it",
        f"{main} sets {driver}.securityContext.privileged: true, which hands it the node's "
        "devices and every capability; remove it",
        *unset_everywhere(main, f"{driver}.securityContext", f"{driver}.podSecurityContext"),
        f"{main} sets no {driver}.coreLimit; {LIMITS_REASON}",
        *unset_everywhere(sidecar, sidecar_security, f"{driver}.podSecurityContext")[2:],
        f"{sidecar} sets no {driver}.sidecars[0].resources.limits.cpu, "
        f"{driver}.sidecars[0].resources.limits.memory, "
        f"{driver}.sidecars[0].resources.requests.memory; {LIMITS_REASON}",
        f"{who} sets {executor}.template, so spark-operator's webhook leaves the executor pods "
        f"alone and applies none of {executor}'s securityContext, podSecurityContext, sidecars "
        f"or volumes to them; drop the template and set the pods' settings in {executor}'s own "
        "fields",
        f'{who} executor container "spark-kubernetes-executor" sets no {executor}.memory; '
        f"{LIMITS_REASON}",
        f"{who} mounts host path '/' as volume 'host' at {spec}.volumes[0].hostPath; "
        f"{HOST_PATH_ADVICE}",
    ]


@RUNS
def test_restricted_pods_with_limits_pass_in_every_kind(run):
    assert run(POLICY, passing()) == []


@RUNS
def test_a_pod_breaking_every_rule_hears_each_by_container_and_field(run):
    assert run(POLICY, [failing_deployment()]) == DEPLOYMENT_EXPECTED


@RUNS
def test_a_pod_that_sets_nothing_hears_what_each_container_lacks(run):
    bare = workload("Pod", "bare", securityContext=None, containers=[container("main")])
    del bare.props["spec"]["containers"][0]["securityContext"]
    assert run(POLICY, [bare]) == unset_everywhere(
        'Pod "bare" container "main"', "spec.containers[0].securityContext", "spec.securityContext"
    )


@RUNS
@pytest.mark.parametrize("kind", list(POD_KINDS))
def test_a_privileged_container_fails_in_every_kind_at_its_pod_spec(run, kind):
    privileged = container(securityContext={**RESTRICTED_CONTAINER, "privileged": True})
    path = ".".join(POD_KINDS[kind][1])
    assert run(POLICY, [workload(kind, containers=[privileged])]) == [
        f'{kind} "worker" container "worker" sets {path}.containers[0].securityContext.'
        "privileged: true, which hands it the node's devices and every capability; remove it"
    ]


@RUNS
@pytest.mark.parametrize("scheduled", [False, True], ids=["SparkApplication", "Scheduled"])
def test_spark_driver_and_executor_settings_fail_by_role_and_field(run, scheduled):
    assert run(POLICY, [failing_spark(scheduled)]) == spark_expected(scheduled)


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_stack_makes_it_mandatory(stack):
    config = load_pack_config(PROJECT_DIR / "policies" / "config" / f"{stack}.json")
    resolved = [r for r in resolve(POLICIES, config) if r.policy.name == POLICY]
    assert [r.level for r in resolved] == ["mandatory"]
    found = evaluate(resolved, [failing_deployment()]).violations
    assert [v.blocking for v in found] == [True] * len(DEPLOYMENT_EXPECTED)


def test_a_spark_application_without_a_driver_is_an_input_error_naming_it():
    application = spark_application()
    del application.props["spec"]["driver"]
    with pytest.raises(InputError) as caught:
        messages(POLICY, [application])
    assert str(caught.value) == (
        'kubernetes:sparkoperator.k8s.io/v1beta2:SparkApplication "clicks-stream": spec.driver '
        "is missing"
    )


def test_prod_with_a_privileged_exporter_exits_1_naming_the_policy(stack_outputs, tmp_path):
    def make_privileged(resources: list[dict]) -> None:
        pod_spec = first_of_kind(resources, "Deployment")["props"]["spec"]["template"]["spec"]
        pod_spec["containers"][0]["securityContext"]["privileged"] = True

    code, violations = evaluate_changed_output(stack_outputs, tmp_path, "prod", make_privileged)
    assert code == 1
    assert [(v["policy"], v["level"], v["resource"], v["message"]) for v in violations] == [
        (
            POLICY,
            "mandatory",
            "clickstream-es-exporter",
            'Deployment "clickstream-elasticsearch-exporter" container "elasticsearch-exporter" '
            "sets "
            "spec.template.spec.containers[0].securityContext.privileged: true, which hands it "
            "the node's devices and every capability; remove it",
        )
    ]
