"""Run the Pulumi program under the SDK's mock runtime and record what it registers.

Used by the offline check and by the tests. Each run gets a fresh context (Pulumi keeps its
runtime state in context variables) and a fresh event loop, so runs never see each other's
resources, config or root stack.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

from pipeline.aws_mocks import AwsMocks
from policies.record import SECRET_PLACEHOLDER, Resource

# Pulumi's wire encoding of a secret value: {SIG_KEY: SECRET_SIG, "value": ...}.
_SIG_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


@dataclass(frozen=True)
class ProgramRun:
    resources: list[Resource]
    """In URN order; props are inputs with secrets replaced by a placeholder."""
    outputs: Mapping[str, Any]


# Outputs a provider computes, synthesized from the resource's name so that runs are repeatable.
_COMPUTED_OUTPUTS = {
    "random:index/randomPassword:RandomPassword": lambda name: {"result": f"offline-{name}"},
}


class _State(dict):
    """A resource's state as the engine returns it (its inputs and what the provider computes),
    remembering which were its inputs: all that policies see."""

    def __init__(self, inputs: Mapping[str, Any], computed: Mapping[str, Any]) -> None:
        super().__init__({**computed, **inputs})
        self.inputs = inputs


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self._aws = AwsMocks()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        # A real engine returns the inputs plus the outputs the provider computes: so do we.
        if args.typ == "pulumi:providers:aws":
            return self._aws.new_provider(args.name, args.inputs), _State(args.inputs, {})
        if args.typ.startswith("aws:"):
            resource_id, computed = self._aws.new_resource(
                args.typ, args.name, args.inputs, args.provider
            )
            return resource_id, _State(args.inputs, computed)
        computed = _COMPUTED_OUTPUTS.get(args.typ)
        state = _State(args.inputs, computed(args.name) if computed else {})
        return (f"{args.name}-id" if args.custom else None), state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        if args.token.startswith("aws:"):
            return self._aws.call(args.token, args.args, args.provider)
        raise NotImplementedError(f"the program made an unexpected call to {args.token}")


class _RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, also keeping each resource's parent and the stack outputs."""

    def __init__(self, mocks: pulumi.runtime.Mocks, reveal_secrets: bool) -> None:
        super().__init__(mocks)
        self._reveal_secrets = reveal_secrets
        self._lock = threading.Lock()
        self._registered: list[tuple[Any, str]] = []
        self.stack_outputs: dict[str, Any] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            with self._lock:
                self._registered.append((request, response.urn))
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        if _urn_type(request.urn) == "pulumi:pulumi:Stack":
            outputs = rpc.deserialize_properties(request.outputs)
            self.stack_outputs = _resolve_secrets(outputs, self._reveal_secrets)
        return super().RegisterResourceOutputs(request)

    def recorded(self) -> list[Resource]:
        """What was registered, ordered by URN: the SDK registers from executor threads, so the
        order of arrival changes from run to run, and outputs must not."""
        components = {urn: request.name for request, urn in self._registered if not request.custom}
        return [
            Resource(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                component=components.get(request.parent),
                props=_resolve_secrets(self.resources[urn].state.inputs, self._reveal_secrets),
                retain_on_delete=bool(request.retainOnDelete),
                protect=bool(request.protect),
                dependencies=tuple(request.dependencies),
                input_sources=_input_sources(request),
                provider=request.provider,
                aliases=tuple(_alias_urns(request, urn)),
                ignore_changes=tuple(request.ignoreChanges),
            )
            for request, urn in sorted(self._registered, key=lambda registered: registered[1])
        ]


def _alias_urns(request: Any, urn: str) -> list[str]:
    """The URNs an alias spec stands for (the engine derives the children's from these)."""
    head, project, *_ = urn.split("::")
    urns = list(request.aliasURNs)
    for alias in request.aliases:
        spec = alias.spec
        kind, name = spec.type or request.type, spec.name or request.name
        if spec.noParent:
            urns.append(f"{head}::{project}::{kind}::{name}")
        elif spec.parentUrn:
            parent_types = spec.parentUrn.split("::")[2]
            urns.append(f"{head}::{project}::{parent_types}${kind}::{name}")
    return urns


def _input_sources(request: Any) -> tuple[str, ...]:
    """The resources whose outputs the inputs use, in URN order. Not ``request.dependencies``:
    a dependency on a component stands for the children it has *so far*, which changes from
    run to run; the sources of the inputs do not."""
    return tuple(
        sorted({urn for sources in request.propertyDependencies.values() for urn in sources.urns})
    )


def _urn_type(urn: str) -> str:
    # urn:pulumi:<stack>::<project>::<parent types$>type::<name>
    return urn.split("::")[2].rsplit("$", 1)[-1]


def _resolve_secrets(value: Any, reveal: bool, secret: bool = False) -> Any:
    """Unwrap Pulumi's secret encoding, keeping the shape (and keys) around each secret; secret
    scalars become the placeholder unless ``reveal``."""
    if isinstance(value, Mapping):
        if value.get(_SIG_KEY) == _SECRET_SIG:
            return _resolve_secrets(value.get("value"), reveal, secret=True)
        return {key: _resolve_secrets(item, reveal, secret) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve_secrets(item, reveal, secret) for item in value]
    return SECRET_PLACEHOLDER if secret and not reveal else value


def _as_stack_program(program: Callable[[], Any]) -> Callable[[], None]:
    def run() -> None:
        # What program returns is dropped: the test wrapper would walk it as an Output, and
        # runpy returns the module's globals.
        program()
        # Under mocks the root stack registered its (then empty) outputs when it was created;
        # register them again, as the engine does at the end of a real run, so that the
        # exports reach the monitor.
        root = pulumi.runtime.get_root_resource()
        root.register_outputs(root.outputs)

    return run


def run_program(
    program: Callable[[], None],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: Sequence[str] = (),
    reveal_secrets: bool = False,
) -> ProgramRun:
    """Run ``program`` as a preview under mocks with ``config``; return what it registered.

    Secret values are replaced by a placeholder unless ``reveal_secrets`` (for tests that must
    see what a secret carries). Exceptions raised by the program (e.g. an invalid configuration)
    propagate unchanged.
    """

    def run() -> ProgramRun:
        mocks = _Mocks()
        monitor = _RecordingMonitor(mocks, reveal_secrets)
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=True, monitor=monitor)
        pulumi.runtime.set_all_config(dict(config), list(secret_keys))
        pulumi.runtime.test(_as_stack_program(program))()
        return ProgramRun(monitor.recorded(), monitor.stack_outputs)

    # The SDK makes its monitor calls on executor threads and gives each thread an event loop of
    # its own. Handing the threads loops we own lets us close them all afterwards, instead of
    # leaving them to the garbage collector at interpreter exit (which then reports errors).
    thread_loops: list[asyncio.AbstractEventLoop] = []

    def give_thread_a_loop() -> None:
        thread_loop = asyncio.new_event_loop()
        asyncio.set_event_loop(thread_loop)
        thread_loops.append(thread_loop)

    executor = ThreadPoolExecutor(thread_name_prefix="pulumi-mocks", initializer=give_thread_a_loop)
    loop = asyncio.new_event_loop()
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    try:
        return contextvars.Context().run(run)
    finally:
        executor.shutdown(wait=True)
        for thread_loop in thread_loops:
            thread_loop.close()
        asyncio.set_event_loop(None)
        loop.close()
