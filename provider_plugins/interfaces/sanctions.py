"""Sanctions capability: screen people's names against watch lists before money moves.

Called outside any money transaction (it is a network call). A connector answers per subject whether the
list holds a likely match; the core decides what a match means (a remittance waits for an operator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from .common import ProviderConfig

__all__ = ["SanctionsScreener", "ScreeningMatch", "ScreeningResult", "ScreeningSubject"]


@dataclass(frozen=True)
class ScreeningSubject:
    key: str  # ours, echoed back: "sender", "recipient"
    name: str
    country: str = ""  # ISO 3166 alpha-2
    birth_date: str = ""


@dataclass(frozen=True)
class ScreeningMatch:
    subject: str  # the subject's key
    entity_id: str
    caption: str
    score: str  # the provider's score as text ("0.97"): shown to the operator, never computed on
    datasets: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScreeningResult:
    matches: tuple[ScreeningMatch, ...] = ()
    provider_reference: str = ""
    checked: tuple[str, ...] = field(default_factory=tuple)  # subject keys the provider answered for

    @property
    def hit(self) -> bool:
        return bool(self.matches)


@runtime_checkable
class SanctionsScreener(Protocol):
    def screen(self, config: ProviderConfig, *, subjects: list[ScreeningSubject]) -> ScreeningResult:
        """Raise ``ProviderFault`` when the list could not be consulted (the core then refuses to go on)."""
        ...
