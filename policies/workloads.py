"""The workload rule: every pod the program writes passes the "restricted" Pod Security Standard
and every container in it runs within CPU and memory limits.

The restricted checks are those of Kubernetes' pod-security admission: no privileged container,
no host namespaces, ports or paths, no privilege escalation, ALL capabilities dropped (only
NET_BIND_SERVICE added back), a non-root user and a RuntimeDefault or Localhost seccomp profile,
each set on the pod or on every container (a container's own setting wins, and an explicit
Unconfined or runAsNonRoot false is refused wherever it is set). A namespace that enforces the
standard rejects such pods only when they are created, long after ``pulumi up`` has succeeded;
this policy refuses them before.

Pods are read where each kind keeps them: the pod spec of the built-in kinds
(``claims.POD_SPEC_PATHS``) and the driver and executor settings of spark-operator's
applications, which its webhook applies to the pods Spark creates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from policies.claims import POD_SPEC_PATHS
from policies.engine import ReportResource
from policies.objects import describe
from policies.record import Field, PropError, Resource
from policies.spark_operator import MAIN_CONTAINERS, ROLES, application_spec

POLICY_NAME = "workload-restricted-pods"
ADDABLE_CAPABILITIES = ("NET_BIND_SERVICE",)
SECCOMP_TYPES = ("RuntimeDefault", "Localhost")
_SECCOMP_ADVICE = f"set it to {' or '.join(SECCOMP_TYPES)}"
HOST_NAMESPACES = {"hostNetwork": "network", "hostPID": "process", "hostIPC": "IPC"}
LIMITS_REASON = (
    "every container needs CPU and memory limits and a memory request, or it can take its "
    "node's CPU and memory from the other pods there"
)


@dataclass(frozen=True)
class Container:
    """One container of a pod, as the checks read it."""

    label: str
    """How messages name it: ``container "exporter"``, ``driver init container "setup"``."""
    security: Field
    """Its securityContext."""
    ports: list[Field]
    sizing: list[Field]
    """Fields that set its CPU limit, memory limit and memory request; each must be set."""


@dataclass(frozen=True)
class Pod:
    """The pod-level settings of one kind of pod a resource runs, and its containers."""

    security: Field
    """The pod's securityContext."""
    host_namespaces: list[Field]
    containers: list[Container]


def _containers(pod_part: Field, key: str, label: str) -> Iterator[Container]:
    """Kubernetes containers at ``key`` (containers, initContainers, sidecars)."""
    for container in pod_part.at(key).items():
        name = container.at("name").required_text()
        resources = container.at("resources")
        yield Container(
            f'{label} "{name}"',
            container.at("securityContext"),
            container.at("ports").items(),
            [
                resources.at("limits", "cpu"),
                resources.at("limits", "memory"),
                resources.at("requests", "memory"),
            ],
        )


def _kubernetes_pod(pod_spec: Field) -> Pod:
    return Pod(
        pod_spec.at("securityContext"),
        [pod_spec.at(key) for key in HOST_NAMESPACES],
        [
            *_containers(pod_spec, "containers", "container"),
            *_containers(pod_spec, "initContainers", "init container"),
        ],
    )


def _spark_pod(settings: Field, role: str) -> Pod:
    """A driver's or executors' pod: Spark's own container, sized by ``coreLimit`` (Spark sets
    no CPU limit without it) and ``memory`` (request and limit, with Spark's overhead added),
    and the sidecars and init containers the webhook adds."""
    main = Container(
        f'{role} container "{MAIN_CONTAINERS[role]}"',
        settings.at("securityContext"),
        [],
        [settings.at("coreLimit"), settings.at("memory")],
    )
    return Pod(
        settings.at("podSecurityContext"),
        [settings.at("hostNetwork")],
        [
            main,
            *_containers(settings, "sidecars", f"{role} sidecar"),
            *_containers(settings, "initContainers", f"{role} init container"),
        ],
    )


def check_pod_spec(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    """The restricted checks and limits over a built-in kind's pod template (or pod)."""
    pod_spec = resource.at(*POD_SPEC_PATHS[resource.kind])
    _check_pod(describe(resource), _kubernetes_pod(pod_spec), report)
    _check_volumes(describe(resource), pod_spec.at("volumes"), report)


def check_spark_application(
    resource: Resource, _settings: Mapping[str, Any], report: ReportResource
) -> None:
    """The restricted checks and limits over the driver's and the executors' pods."""
    who = describe(resource)
    spec = application_spec(resource)
    for role in ROLES:
        settings = spec.at(role).required()
        template = settings.at("template")
        if template.object() is not None:
            report(
                f"{who} sets {template.path}, so spark-operator's webhook leaves the {role} pods "
                f"alone and applies none of {settings.path}'s securityContext, "
                "podSecurityContext, sidecars or volumes to them; drop the template and set "
                f"the pods' settings in {settings.path}'s own fields"
            )
        _check_pod(who, _spark_pod(settings, role), report)
    _check_volumes(who, spec.at("volumes"), report)


def _check_pod(who: str, pod: Pod, report: ReportResource) -> None:
    for field in pod.host_namespaces:
        if field.flag():
            namespace = HOST_NAMESPACES[field.path.rsplit(".", 1)[-1]]
            report(
                f"{who} sets {field.path}: true, which shares the node's {namespace} namespace "
                "with the pod; remove it"
            )
    pod_non_root = pod.security.at("runAsNonRoot")
    if pod_non_root.flag() is False:
        report(f"{who} sets {pod_non_root.path}: false, so its containers may run as root")
    pod_seccomp = pod.security.at("seccompProfile", "type")
    if pod_seccomp.text() is not None and pod_seccomp.text() not in SECCOMP_TYPES:
        report(f"{who} sets {pod_seccomp.path} to {pod_seccomp.text()!r}; {_SECCOMP_ADVICE}")
    for container in pod.containers:
        _check_container(f"{who} {container.label}", container, pod, report)


def _check_container(who: str, container: Container, pod: Pod, report: ReportResource) -> None:
    security = container.security
    privileged = security.at("privileged")
    if privileged.flag():
        report(
            f"{who} sets {privileged.path}: true, which hands it the node's devices and every "
            "capability; remove it"
        )
    escalation = security.at("allowPrivilegeEscalation")
    if escalation.flag() is not False:
        state = "unset" if escalation.value is None else "true"
        report(
            f"{who} has {escalation.path} {state}; set it false, or a setuid binary in the "
            "container can gain privileges"
        )
    dropped = [item.required_text() for item in security.at("capabilities", "drop").items()]
    if "ALL" not in dropped:
        report(
            f"{who} does not drop ALL in {security.at('capabilities', 'drop').path}; drop ALL "
            "and add back only what it needs"
        )
    added = security.at("capabilities", "add")
    extra = [
        name for item in added.items() if (name := item.required_text()) not in ADDABLE_CAPABILITIES
    ]
    if extra:
        report(
            f"{who} adds {', '.join(extra)} in {added.path}; the restricted standard lets a "
            f"container add back only {', '.join(ADDABLE_CAPABILITIES)}"
        )
    _check_non_root(who, security.at("runAsNonRoot"), pod.security.at("runAsNonRoot"), report)
    _check_seccomp(
        who,
        security.at("seccompProfile", "type"),
        pod.security.at("seccompProfile", "type"),
        report,
    )
    for port in container.ports:
        host_port = port.at("hostPort")
        if host_port.whole_number():
            report(
                f"{who} binds host port {host_port.whole_number()} at {host_port.path}; remove "
                "it and reach the pod through a Service"
            )
    missing = [field.path for field in container.sizing if not _is_set(field)]
    if missing:
        report(f"{who} sets no {', '.join(missing)}; {LIMITS_REASON}")


def _check_non_root(who: str, own: Field, pod_level: Field, report: ReportResource) -> None:
    """The container's own runAsNonRoot wins; unset, the pod's applies (a pod-level false is
    reported once, for the pod)."""
    if own.flag() is False:
        report(f"{who} sets {own.path}: false, so it may run as root; set it true")
    elif own.flag() is None and pod_level.flag() is None:
        report(f"{who} may run as root: set {own.path} or {pod_level.path} true")


def _check_seccomp(who: str, own: Field, pod_level: Field, report: ReportResource) -> None:
    """As runAsNonRoot: the container's profile wins, the pod's applies when it sets none."""
    if own.text() is not None and own.text() not in SECCOMP_TYPES:
        report(f"{who} sets {own.path} to {own.text()!r}; {_SECCOMP_ADVICE}")
    elif own.text() is None and pod_level.text() is None:
        report(
            f"{who} runs without a seccomp profile: set {own.path} or {pod_level.path} to "
            f"{' or '.join(SECCOMP_TYPES)}"
        )


def _check_volumes(who: str, volumes: Field, report: ReportResource) -> None:
    for volume in volumes.items():
        host_path = volume.at("hostPath")
        if host_path.object() is not None:
            name = volume.at("name").required_text()
            path = host_path.at("path").required_text()
            report(
                f"{who} mounts host path {path!r} as volume {name!r} at {host_path.path}; the "
                "restricted standard admits no hostPath volume: use a PersistentVolumeClaim or "
                "an emptyDir"
            )


def _is_set(field: Field) -> bool:
    """Whether a quantity is given (a string or a number, as Pulumi's wire format allows)."""
    try:
        field.required()
    except PropError:
        return False
    return True
