"""Collecting money: hosted-checkout gateways (Paystack, Flutterwave) and mobile-money pushes.

The core gives value only after a *verification* it asked for itself; webhooks are
hints that are authenticated (signature) and deduplicated (``event_id``) but the
amount and currency that count are the ones a verification returns. Connectors
report the amount and currency the provider says were paid, never the ones we
asked for, so the core can detect a mismatch (:meth:`PaymentVerification.matches`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from .common import OutcomeStatus, ProviderConfig, ProviderProtocolError
from .money import CURRENCY_EXPONENTS, AmountError, currency_exponent, minor_to_text, parse_minor

__all__ = [
    "CURRENCY_EXPONENTS",
    "CheckoutRequest",
    "CheckoutSession",
    "MobileMoneyAccepted",
    "MobileMoneyCollection",
    "MobileMoneyRequest",
    "PaymentEvent",
    "PaymentGateway",
    "PaymentVerification",
    "header_value",
    "major_to_minor",
    "minor_to_major",
]


def _exponent(currency: str) -> int:
    try:
        return currency_exponent(currency)
    except AmountError:
        raise ProviderProtocolError(f"unknown currency {currency!r}", code="unknown_currency") from None


def minor_to_major(amount_minor: int, currency: str) -> str:
    """``150050, "NGN"`` -> ``"1500.50"``; ``1000, "XOF"`` -> ``"1000"`` (exact, no floats)."""
    return minor_to_text(int(amount_minor), _exponent(currency))


def major_to_minor(value: Any, currency: str) -> int:
    """A provider's major-unit amount (decimal string, int, or a JSON number read as ``Decimal``) -> minor units.

    The money rule of :mod:`.money` (no exponent, NaN, floats, sub-minor digits; bounded cost); a refused
    amount is the provider's protocol fault: :class:`ProviderProtocolError` ``bad_amount``.
    """
    exponent = _exponent(currency)
    try:
        return parse_minor(value, minor_digits=exponent)
    except AmountError as exc:
        raise ProviderProtocolError(f"unreadable amount for {currency}: {exc.reason}", code="bad_amount") from None


def header_value(headers: Mapping[str, str], name: str) -> str:
    """Case-insensitive header lookup that also understands Django ``META`` keys."""
    wanted = name.lower()
    meta_key = "HTTP_" + name.upper().replace("-", "_")
    for key, value in headers.items():
        if key.lower() == wanted or key == meta_key:
            return value
    return ""


@dataclass(frozen=True)
class CheckoutRequest:
    amount_minor: int
    currency: str
    reference: str  # ours, unique per payment attempt; the provider charges it at most once
    callback_url: str  # where the customer's browser returns after paying
    email: str = ""
    phone: str = ""
    customer_name: str = ""
    description: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    notify_url: str = ""  # server-to-server notification URL, for rails that take it per payment (Orange)


@dataclass(frozen=True)
class CheckoutSession:
    authorization_url: str  # send the customer's browser here
    reference: str
    provider_reference: str  # the provider's handle (Paystack access_code, ...)
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class PaymentVerification:
    """What the provider says happened to one payment: the only basis for giving value."""

    status: OutcomeStatus
    reference: str
    amount_minor: int | None  # as paid, per the provider (None when unknown, e.g. pending)
    currency: str
    provider_id: str = ""
    paid_at: datetime | None = None
    channel: str = ""
    provider_status: str = ""  # the provider's own word, for support and logs
    message: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def matches(self, *, amount_minor: int, currency: str) -> bool:
        """True only for a success of exactly the expected amount and currency."""
        return (self.status is OutcomeStatus.SUCCESS and self.amount_minor == amount_minor
                and self.currency.upper() == currency.upper())


@dataclass(frozen=True)
class PaymentEvent:
    """An authenticated webhook, as a hint: verify before giving value.

    ``event_id`` is stable across redeliveries of the same notification, so the core
    can deduplicate on (provider, event_id). Fields the provider did not send are
    empty/None (Flutterwave's minimal ``{event, data: {id, status}}`` body).
    """

    event_id: str
    event_type: str
    status: OutcomeStatus
    reference: str = ""
    provider_id: str = ""
    amount_minor: int | None = None
    currency: str = ""
    authenticated: bool = True  # False for rails with unsigned callbacks (MoMo): verify, always
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@runtime_checkable
class PaymentGateway(Protocol):
    """A hosted-checkout gateway. Every method is stateless and takes the config per call."""

    key: str

    def initialize_checkout(self, request: CheckoutRequest, *, config: ProviderConfig) -> CheckoutSession:
        """Create the checkout. Raises UserFixableError (amount, email) or ProviderFault."""

    def verify(self, *, config: ProviderConfig, reference: str = "", provider_id: str = "") -> PaymentVerification:
        """Ask the provider for the payment's state. Faults and unknown states -> PENDING."""

    def parse_webhook(self, headers: Mapping[str, str], raw_body: bytes, *, config: ProviderConfig) -> PaymentEvent:
        """Authenticate (constant time) then parse. Raises SignatureError, ProviderProtocolError."""


@dataclass(frozen=True)
class MobileMoneyRequest:
    amount_minor: int
    currency: str
    phone: str  # MSISDN in international format without '+', e.g. 233241234567
    reference: str  # ours; also the provider's request id where the rail allows it
    callback_url: str = ""
    payer_message: str = ""
    payee_note: str = ""


@dataclass(frozen=True)
class MobileMoneyAccepted:
    """The push was accepted (HTTP 202): the customer must now approve on their phone."""

    reference: str
    provider_reference: str  # the id to poll with
    status: OutcomeStatus = OutcomeStatus.PENDING


@runtime_checkable
class MobileMoneyCollection(Protocol):
    """A request-to-pay rail: push, then poll (callbacks are only hints)."""

    key: str

    def request_to_pay(self, request: MobileMoneyRequest, *, config: ProviderConfig) -> MobileMoneyAccepted:
        """Ask the payer to approve. An unclear answer still returns PENDING (poll it)."""

    def payment_status(self, *, config: ProviderConfig, provider_reference: str) -> PaymentVerification:
        """Poll. Faults and unknown states -> PENDING."""

    def parse_callback(self, headers: Mapping[str, str], raw_body: bytes, *, config: ProviderConfig) -> PaymentEvent:
        """Parse the rail's callback (unsigned on MoMo: ``authenticated=False``)."""


