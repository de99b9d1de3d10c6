"""Bill payment (electricity, cable TV): verify the customer first, then pay.

Verification shows the user the name/address on the meter or smartcard before
any money moves; a wrong number raises :class:`InvalidCustomer`. Prepaid
electricity returns a token (and usually units) on success.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .aio import AsyncTransport
from .common import ProviderConfig
from .topup import FulfilmentResult

__all__ = [
    "BillPaymentConnector",
    "BillPaymentRequest",
    "BillPaymentResult",
    "CustomerDetails",
    "CustomerVerificationRequest",
]


@dataclass(frozen=True)
class CustomerVerificationRequest:
    biller_code: str  # provider's biller/service code (VTPass serviceID: "ikeja-electric", "dstv")
    customer_number: str  # meter number, smartcard/IUC number, account number
    variation: str = ""  # "prepaid"/"postpaid" for meters; bouquet code for TV where required


@dataclass(frozen=True)
class CustomerDetails:
    customer_number: str
    name: str
    address: str = ""
    variation: str = ""
    minimum_amount_minor: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BillPaymentRequest:
    request_id: str
    biller_code: str
    customer_number: str
    amount_minor: int
    currency: str
    variation: str = ""  # meter type, or the bouquet's provider product code
    phone: str = ""  # the payer's phone (E.164), some billers require one
    # Extra fields some services need (VTPass motor insurance: Insured_Name, Chasis_Number, ...).
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BillPaymentResult(FulfilmentResult):
    token: str = ""  # prepaid electricity token to print on the receipt
    units: str = ""  # e.g. "79.9 kWh" as the provider words it
    # More for the receipt: exam PINs with serials, an insurance certificate number and URL, ...
    receipt: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class BillPaymentConnector(Protocol):
    def __init__(self, config: ProviderConfig) -> None: ...

    def verify_customer(self, request: CustomerVerificationRequest) -> CustomerDetails: ...

    def pay(self, request: BillPaymentRequest) -> BillPaymentResult: ...

    def requery(self, request_id: str) -> BillPaymentResult: ...

    # ``pay``, awaitable (interfaces.aio.AsyncSubmit).
    async def submit_async(self, request: BillPaymentRequest, *, transport: AsyncTransport) -> BillPaymentResult: ...
