"""Funding by bank transfer to an account number dedicated to one customer (Paystack dedicated virtual accounts).

The customer sends money from any bank app to *their* account number; the
provider notifies us (signed webhook) and we verify the transaction before
crediting. A notification only ever names the provider's own handles (its
customer code, the account number it issued, its transaction reference): the
core finds the account among those it opened **with that provider** and
verifies the payment with the provider before value moves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from .common import OutcomeStatus, ProviderConfig

__all__ = [
    "VirtualAccount",
    "VirtualAccountEvent",
    "VirtualAccountPayment",
    "VirtualAccountProvider",
    "VirtualAccountRequest",
]


@dataclass(frozen=True)
class VirtualAccountRequest:
    """Open (or find) the customer at the provider, then give it a dedicated account."""

    email: str
    first_name: str
    last_name: str
    phone: str  # E.164, e.g. +2348031234567
    reference: str  # ours (the customer's public id): stored as provider metadata
    preferred_bank: str = ""  # provider bank slug; empty: the plugin's default
    currency: str = "NGN"


@dataclass(frozen=True)
class VirtualAccount:
    """An account the provider dedicated to one of its customers."""

    provider_account_id: str  # the provider's id of the dedicated account
    customer_code: str  # the provider's customer handle (Paystack ``CUS_...``)
    account_number: str  # empty while the provider is still assigning it
    account_name: str = ""
    bank_name: str = ""
    bank_slug: str = ""
    currency: str = "NGN"
    active: bool = True
    assigned: bool = True
    provider_customer_id: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class VirtualAccountPayment:
    """A transfer into a dedicated account, as the provider's *verification* describes it."""

    status: OutcomeStatus
    reference: str  # the provider's transaction reference
    amount_minor: int | None
    currency: str
    customer_code: str  # whose account received it, per the provider
    account_number: str = ""  # the dedicated account that received it (when the provider says)
    provider_id: str = ""
    channel: str = ""
    sender_name: str = ""
    sender_bank: str = ""
    paid_at: datetime | None = None
    provider_status: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    def matches_account(self, *, customer_code: str, account_number: str) -> bool:
        """Paid into exactly this customer's dedicated account (account number checked when the provider gives it)."""
        return bool(customer_code) and self.customer_code == customer_code and (
            not self.account_number or not account_number or self.account_number == account_number)


@dataclass(frozen=True)
class VirtualAccountEvent:
    """An authenticated notification about a dedicated account: assigned, assignment failed, or money received.

    ``kind``: ``assigned``, ``assign_failed`` or ``payment``. A payment event is a hint: verify it.
    """

    event_id: str
    kind: str
    customer_code: str
    account: VirtualAccount | None = None
    reference: str = ""  # payment events: the provider's transaction reference
    amount_minor: int | None = None
    currency: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@runtime_checkable
class VirtualAccountProvider(Protocol):
    key: str

    def open_virtual_account(self, request: VirtualAccountRequest, *, config: ProviderConfig) -> VirtualAccount:
        """Create (or reuse) the customer, then request its dedicated account. Raises UserFixableError/ProviderFault."""

    def fetch_virtual_account(self, *, config: ProviderConfig, provider_account_id: str) -> VirtualAccount:
        """The account as the provider has it now."""

    def verify_virtual_account_payment(self, *, config: ProviderConfig, reference: str) -> VirtualAccountPayment:
        """Ask the provider about one incoming transfer. Faults and unknown references -> PENDING."""

    def parse_virtual_account_event(self, headers: Mapping[str, str], raw_body: bytes, *,
                                    config: ProviderConfig) -> VirtualAccountEvent | None:
        """Authenticate then parse; None when the body is not a dedicated-account event. Raises SignatureError."""
