"""The names of the claims a resource makes, for the cloud-snapshot coverage rule.

Like the class and volume readers, what a kind claims is known by the rule module of that kind
(built-in claims in ``policies.claims``, Strimzi in ``policies.strimzi``, ECK in
``policies.eck``), each contributing a :data:`ClaimNamer`; the names follow the operators'
conventions, written down in ``components.stork``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from policies.record import Resource


@dataclass(frozen=True)
class ClaimNames:
    """The claims one place of a resource makes, all on one class.

    By exact name; or, where the operator picks the names at run time (a Strimzi node pool
    without ``strimzi.io/next-node-ids``), ``count`` claims whose names match ``pattern``.
    """

    where: str
    """The field that makes the claims."""
    class_name: str | None
    """None: the cluster's default class."""
    names: tuple[str, ...] = ()
    pattern: str | None = None
    """A Python regular expression the whole name matches."""
    count: int = 0
    """With ``pattern``: how many claims match it."""


ClaimNamer = Callable[[Resource], Iterable[ClaimNames]]
"""Every group of claims one resource of the kind makes."""
