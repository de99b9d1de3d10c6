"""Our own balance at a provider (the float purchases and payouts draw from).

Operators watch it so a provider never runs dry unnoticed: a low balance turns
every purchase into a provider fault. ``balance`` is a read: faults raise
(``ProviderTimeout``/``ProviderUnavailable``/``ProviderAuthError``) and the core
shows "unknown" rather than a number it does not have.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .common import ProviderConfig

__all__ = ["BalanceEnquiry", "ProviderBalance"]


@dataclass(frozen=True)
class ProviderBalance:
    currency: str
    amount_minor: int
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@runtime_checkable
class BalanceEnquiry(Protocol):
    def balance(self, *, config: ProviderConfig) -> list[ProviderBalance]:
        """Every wallet/currency we hold at the provider, in minor units."""
