"""Sending money to bank accounts: name enquiry, bank list, transfer, status, webhooks.

A transfer is idempotent on *our* reference: initiating the same reference twice
never pays twice; the connector answers with the existing transfer's state.
A reversal (money came back after a transfer looked done) is ``FAILED`` with
``reversed=True``: the core must refund the user even if it had settled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .common import OutcomeStatus, ProviderConfig, UserFixableError

__all__ = [
    "AccountName",
    "Bank",
    "InvalidAccount",
    "PayoutGateway",
    "TransferEvent",
    "TransferRequest",
    "TransferResult",
    "WalletHolder",
    "WalletPayout",
    "WalletTransferRequest",
    "payout_step_minor",
]


class InvalidAccount(UserFixableError):
    """The bank account could not be resolved: check the bank and account number."""

    code = "invalid_account"


@dataclass(frozen=True)
class Bank:
    code: str
    name: str


@dataclass(frozen=True)
class AccountName:
    bank_code: str
    account_number: str
    account_name: str


@dataclass(frozen=True)
class TransferRequest:
    amount_minor: int
    currency: str
    reference: str  # ours; the idempotency key at the provider
    bank_code: str
    account_number: str
    account_name: str = ""  # from name enquiry
    narration: str = ""
    callback_url: str = ""


@dataclass(frozen=True)
class TransferResult:
    status: OutcomeStatus
    reference: str
    provider_reference: str = ""
    amount_minor: int | None = None
    currency: str = ""
    reversed: bool = False
    provider_status: str = ""
    message: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class TransferEvent:
    """An authenticated transfer webhook; ``event_id`` is stable across redeliveries."""

    event_id: str
    event_type: str
    status: OutcomeStatus
    reference: str
    provider_reference: str = ""
    amount_minor: int | None = None
    currency: str = ""
    reversed: bool = False
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@runtime_checkable
class PayoutGateway(Protocol):
    key: str

    def list_banks(self, *, config: ProviderConfig, country: str) -> list[Bank]:
        """Banks the provider can pay into, for the country (ISO alpha-2)."""

    def resolve_account(self, *, config: ProviderConfig, bank_code: str, account_number: str) -> AccountName:
        """Name enquiry. Raises InvalidAccount when the account does not exist."""

    def initiate_transfer(self, request: TransferRequest, *, config: ProviderConfig) -> TransferResult:
        """Send. Unclear outcome (timeout, 5xx after sending) -> PENDING; requery by reference."""

    def transfer_status(self, *, config: ProviderConfig, reference: str) -> TransferResult:
        """Requery by our reference. Faults -> PENDING."""

    def parse_transfer_webhook(self, headers: Mapping[str, str], raw_body: bytes, *,
                               config: ProviderConfig) -> TransferEvent:
        """Authenticate then parse. Raises SignatureError."""


# -- mobile-money wallets ----------------------------------------------------------------------

@dataclass(frozen=True)
class WalletHolder:
    """Who holds a mobile-money wallet, as the rail says (its "name check").

    ``name`` is empty on rails that offer no name enquiry (Wave, CinetPay): the core then shows the
    number only. ``active`` False means the wallet exists but cannot receive (barred, closed).
    """

    msisdn: str
    name: str = ""
    active: bool = True
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class WalletTransferRequest:
    """Send ``amount_minor`` to the mobile-money wallet ``msisdn`` (international digits, no ``+``)."""

    amount_minor: int
    currency: str
    reference: str  # ours; the idempotency key at the rail (its client reference / external id)
    msisdn: str
    country: str  # ISO alpha-2 of the wallet (some rails need it per request: Airtel's X-Country)
    name: str = ""  # from the name check, when the rail offers one (Wave matches it when sent)
    narration: str = ""
    callback_url: str = ""


@runtime_checkable
class WalletPayout(Protocol):
    """Payouts to a customer's own mobile-money wallet (Wave, CinetPay transfers, Airtel and MoMo
    disbursements). Same rules as :class:`PayoutGateway`: idempotent on our reference, unclear is
    PENDING, a reversal after success is ``FAILED`` with ``reversed=True``."""

    key: str

    def wallet_holder(self, *, config: ProviderConfig, msisdn: str, country: str, currency: str) -> WalletHolder:
        """The name check. Raises InvalidAccount when the rail says no such wallet can receive."""

    def send_to_wallet(self, request: WalletTransferRequest, *, config: ProviderConfig) -> TransferResult:
        """Send. Unclear outcome -> PENDING; raises only when the rail certainly did not act."""

    def wallet_transfer_status(self, *, config: ProviderConfig, reference: str,
                               provider_reference: str = "", country: str = "",
                               currency: str = "") -> TransferResult:
        """Requery by our reference (or the rail's id). Faults and unknown -> PENDING (``not_found``)."""

    def parse_wallet_callback(self, headers: Mapping[str, str], raw_body: bytes, *,
                              config: ProviderConfig) -> TransferEvent:
        """Authenticate where the rail signs, then parse. A hint: the core requeries before acting."""


def payout_step_minor(connector: object, currency: str) -> int:
    """The step (minor units of ``currency``) every amount a rail pays out must be a multiple of: the connector's
    ``payout_step_minor(currency)`` where it declares one (CinetPay transfers multiples of 5 whole units, Airtel
    Money whole units), else 1 (any amount in minor units). The core refuses or rounds down to it before a payout
    is held: an amount the rail cannot pay would only fail there after the customer was told it was on its way."""
    declared = getattr(connector, "payout_step_minor", None)
    step = declared(currency) if callable(declared) else 1
    return step if isinstance(step, int) and step > 0 else 1
