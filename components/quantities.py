"""Kubernetes quantities (``500m``, ``2Gi``, ``1e3``) read and written exactly.

Import-free, so the config, the components, the capacity plan and the policy pack share one reading.
"""

from __future__ import annotations

import re
from decimal import Decimal

# sign, number, then a binary suffix, a decimal exponent or a decimal suffix ("" = none).
_QUANTITY = re.compile(
    r"(?P<number>[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+))"
    r"(?:(?P<binary>[KMGTPE]i)|[eE](?P<exponent>[+-]?[0-9]+)|(?P<decimal>[numkMGTPE]?))"
)
_DECIMAL_EXPONENTS = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12}
_DECIMAL_EXPONENTS |= {"P": 15, "E": 18}
_BINARY_EXPONENTS = {f"{prefix}i": 10 * (i + 1) for i, prefix in enumerate("KMGTPE")}


def parse_quantity(quantity: str) -> Decimal:
    """The value of a Kubernetes quantity: ``500m`` -> 0.5, ``2Gi`` -> 2147483648, ``1e3`` -> 1000.

    Raises ValueError for anything the API server would reject, such as ``1GB`` or ``2 Gi``.
    """
    match = _QUANTITY.fullmatch(quantity) if isinstance(quantity, str) else None
    if match is None:
        raise ValueError(f"not a Kubernetes quantity: {quantity!r}")
    number = Decimal(match["number"])
    if match["binary"]:
        return number * 2 ** _BINARY_EXPONENTS[match["binary"]]
    if match["exponent"]:
        return number.scaleb(int(match["exponent"]))
    return number.scaleb(_DECIMAL_EXPONENTS[match["decimal"]])


def quantity_bytes(quantity: str) -> int:
    """Whole bytes of a storage or memory quantity such as ``100Gi``."""
    return int(parse_quantity(quantity))


def format_bytes(count: int) -> str:
    """The largest binary unit that states ``count`` exactly (``300Gi``, else bytes)."""
    for suffix, exponent in sorted(_BINARY_EXPONENTS.items(), key=lambda item: -item[1]):
        if count and count % 2**exponent == 0:
            return f"{count // 2**exponent}{suffix}"
    return str(count)
