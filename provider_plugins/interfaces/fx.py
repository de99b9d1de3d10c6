"""FX rates capability: the mid-market rate between two currencies, as an exact integer.

A rate is ``rate_e9`` = units of ``quote`` per unit of ``base`` times 10^9, rounded DOWN (in the platform's
favour when it converts base into quote). Never a float: connectors parse the provider's decimals with
``Decimal`` and scale them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Protocol, runtime_checkable

from .common import ProviderConfig

__all__ = ["RATE_SCALE", "FxRate", "FxRateSource", "rate_e9_from_decimal"]

RATE_SCALE = 10**9


def rate_e9_from_decimal(value: Decimal) -> int:
    """``value`` (quote per base) as an integer scaled by 10^9, rounded down."""
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise ValueError("a rate is a positive finite Decimal")
    return int((value * RATE_SCALE).to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class FxRate:
    base: str
    quote: str
    rate_e9: int  # quote per base * 10^9, rounded down
    as_of: datetime
    provider_reference: str = ""  # the provider's snapshot id / timestamp


@runtime_checkable
class FxRateSource(Protocol):
    def rate(self, config: ProviderConfig, *, base: str, quote: str) -> FxRate:
        """Raise ``UserFixableError`` for a currency the source does not know, ``ProviderFault`` otherwise."""
        ...
