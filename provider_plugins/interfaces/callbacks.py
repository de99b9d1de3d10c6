"""Inbound provider webhooks: authenticate, then translate into a typed update.

A parser never trusts a payload it could not authenticate: it raises
:class:`SignatureError`. Providers that do not sign (VTPass) are authenticated
by the core confirming the update with a requery before acting on it
(``requires_confirmation``). Webhooks may arrive twice or before the answer to
the original call: the core applies them idempotently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .common import OutcomeStatus, ProviderConfig

__all__ = ["CallbackAck", "CallbackParser", "CallbackUpdate"]


@dataclass(frozen=True)
class CallbackUpdate:
    request_id: str  # our request id (what the core derived from the order)
    status: OutcomeStatus
    provider_reference: str = ""
    recipient: str = ""
    delivered_amount_minor: int | None = None
    currency: str = ""
    token: str = ""
    units: str = ""
    reason: str = ""
    provider_code: str = ""
    requires_confirmation: bool = False  # unsigned: requery before settling
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass(frozen=True)
class CallbackAck:
    """What to answer the provider so it stops retrying."""

    status_code: int = 200
    body: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class CallbackParser(Protocol):
    def __init__(self, config: ProviderConfig) -> None: ...

    def parse(self, *, body: bytes, headers: Mapping[str, str]) -> CallbackUpdate | None:
        """Return the update, ``None`` for an authentic event we do not act on, or raise."""
        ...

    def acknowledgement(self) -> CallbackAck: ...
