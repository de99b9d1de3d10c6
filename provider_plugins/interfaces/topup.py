"""Airtime and data top-up: requests, the result, and the connector protocol.

The core supplies ``request_id`` (derived from its order) and reuses it on every
retry and requery: providers deduplicate on it, so resubmitting can never
deliver twice. ``recipient_phone`` is E.164 (``+2348031234567``); connectors
convert it to the provider's format. Amounts are integer minor units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .aio import AsyncTransport
from .common import OutcomeStatus, ProviderConfig

__all__ = [
    "AirtimeTopupRequest",
    "DataTopupRequest",
    "FulfilmentResult",
    "TopupConnector",
    "TopupResult",
]


@dataclass(frozen=True)
class AirtimeTopupRequest:
    request_id: str
    recipient_phone: str
    amount_minor: int
    currency: str
    country: str
    operator_code: str = ""  # provider's network/operator/service code when known (e.g. VTPass "mtn")


@dataclass(frozen=True)
class DataTopupRequest:
    request_id: str
    recipient_phone: str
    product_code: str  # provider product code from the catalog (VTPass variation_code, ...)
    amount_minor: int  # the bundle's face value, for providers that want it echoed
    currency: str
    country: str
    operator_code: str = ""


@dataclass(frozen=True)
class FulfilmentResult:
    """What the provider says happened to ``request_id``.

    ``status`` is SUCCESS/FAILED only when the provider's answer is clearly
    final; otherwise PENDING and the core requeries. ``reason`` is a stable
    short code for failures and pendings (``"provider_failed"``,
    ``"timeout"``, ...); ``provider_code`` is the provider's own code.
    """

    request_id: str
    status: OutcomeStatus
    provider_reference: str = ""
    delivered_amount_minor: int | None = None
    currency: str = ""
    reason: str = ""
    provider_code: str = ""
    message: str = ""
    # What the provider charged in its own currency when that is not the sale's: {"amount": "1.60",
    # "currency": "USD", "rate": "605.50"} (rate = local units per provider unit, when it says).
    fx: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_final(self) -> bool:
        return self.status != OutcomeStatus.PENDING


TopupResult = FulfilmentResult


@runtime_checkable
class TopupConnector(Protocol):
    """Airtime/data top-up. Construct with a ProviderConfig; keep no other state."""

    def __init__(self, config: ProviderConfig) -> None: ...

    def airtime(self, request: AirtimeTopupRequest) -> FulfilmentResult: ...

    def data(self, request: DataTopupRequest) -> FulfilmentResult: ...

    def requery(self, request_id: str) -> FulfilmentResult: ...

    # The same purchase, awaitable: many in flight from one event loop (interfaces.aio.AsyncSubmit gives it
    # through the sync code above; ``request`` is an AirtimeTopupRequest or a DataTopupRequest).
    async def submit_async(self, request: AirtimeTopupRequest | DataTopupRequest, *,
                           transport: AsyncTransport) -> FulfilmentResult: ...
