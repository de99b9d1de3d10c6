"""Wallet flows that talk to gateways: funding intents, transfers (P2P and bank payouts), webhook log.

The money itself only moves through ``tenant_apps.ledger.services``; these rows
are the state machines and the links between a gateway's view of a payment
and the journal entry it produced. Each row is locked (``SELECT ... FOR
UPDATE``) before its state changes, and every ledger reference is derived from
the row's own reference, so the ledger refuses a second credit even if two
paths (webhook, verification, poll) race past each other.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shared_apps.providers.callbacks import ProviderBinding

if TYPE_CHECKING:
    from tenant_apps.ledger.models import Hold


class FundingStatus(models.TextChoices):
    PENDING = "pending", _("Pending")  # checkout created / push sent: waiting for the customer or the rail
    SUCCEEDED = "succeeded", _("Succeeded")  # verified and credited once
    FAILED = "failed", _("Failed")  # declined, expired or abandoned (verified)
    REVIEW = "review", _("Needs review")  # verified payment does not match the intent: never credited
    # Finance settled a payment in review from suspense (tenant_apps.wallet.funding_reviews): see ``resolution``.
    RESOLVED = "resolved", _("Resolved by finance")


FUNDING_FINAL = frozenset({FundingStatus.SUCCEEDED, FundingStatus.FAILED, FundingStatus.REVIEW,
                           FundingStatus.RESOLVED})


class FundingResolution(models.TextChoices):
    """What finance did with a payment in review (the money in suspense)."""

    CREDITED = "credited", _("Credited to the wallet")
    REFUNDED = "refunded", _("Refunded at the gateway")
FUNDING_EXPIRED = "expired"  # failure_reason of an intent nobody paid in time (wallet.funding.funding_expire_stale)


def funding_awaits_payment(intent: FundingIntent) -> bool:
    """Worth verifying with the gateway: still pending, or expired by us (a late payment is still credited)."""
    return intent.status not in FUNDING_FINAL or (
        intent.status == FundingStatus.FAILED and intent.failure_reason == FUNDING_EXPIRED)


class FundingPurpose(models.TextChoices):
    WALLET = "wallet", _("The user's wallet")
    # A reseller admin funding the reseller's float at its country operation (tenant_apps.agents.floats).
    RESELLER_FLOAT = "reseller_float", _("The reseller's float")


class VirtualAccountStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")  # the provider is still assigning the account number
    ACTIVE = "active", _("Active")
    FAILED = "failed", _("Assignment failed")
    DEACTIVATED = "deactivated", _("Deactivated")


class VirtualAccount(models.Model):
    """A bank account number a gateway dedicated to one user (Paystack dedicated virtual account).

    Found by a notification only through the gateway's own handles (``customer_code``,
    ``account_number``) *and* the gateway (``gateway``): a callback of one provider never
    reaches an account opened with another (wallet.virtual_accounts).
    """

    provider_binding = ProviderBinding(plugin_field="gateway", provider_field="provider_id")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="virtual_accounts")
    gateway = models.CharField(max_length=40)  # plugin key
    provider_id = models.IntegerField()  # shared_apps.providers.Provider row (public schema)
    status = models.CharField(max_length=12, choices=VirtualAccountStatus.choices,
                              default=VirtualAccountStatus.REQUESTED)
    customer_code = models.CharField(max_length=64, blank=True, default="")  # the gateway's customer handle
    provider_customer_id = models.CharField(max_length=40, blank=True, default="")
    provider_account_id = models.CharField(max_length=40, blank=True, default="")
    account_number = models.CharField(max_length=20, blank=True, default="")
    account_name = models.CharField(max_length=120, blank=True, default="")
    bank_name = models.CharField(max_length=120, blank=True, default="")
    bank_slug = models.CharField(max_length=60, blank=True, default="")
    currency = models.CharField(max_length=3)
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "gateway"], name="wallet_one_virtual_account_per_gateway"),
            models.UniqueConstraint(fields=["gateway", "customer_code"], condition=~models.Q(customer_code=""),
                                    name="wallet_virtual_account_customer_once"),
        ]
        # Not unique: a bank recycles the number of a deactivated account. Notifications find accounts by the
        # gateway's customer code (unique above); the number is only checked against the verification.
        indexes = [models.Index(fields=["gateway", "account_number"], name="wallet_virtual_account_number")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.bank_name} {self.account_number or '(assigning)'} ({self.status})"


class FundingIntent(models.Model):
    """One attempt to fund a wallet (or a reseller's float) through a gateway; credited at most once.

    A bank transfer into a dedicated account (``virtual_account`` set) becomes an intent when the
    gateway notifies it: ``reference`` is ``dva_<the gateway's reference>``, ``provider_reference``
    the gateway's own, and ``amount_minor`` what the gateway's verification says was sent.
    """

    # A gateway callback finds an intent only among those sent to it (shared_apps.providers.callbacks).
    provider_binding = ProviderBinding(plugin_field="gateway", provider_field="provider_id")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="funding_intents")
    gateway = models.CharField(max_length=40)  # plugin key
    purpose = models.CharField(max_length=16, choices=FundingPurpose.choices, default=FundingPurpose.WALLET)
    provider_id = models.IntegerField()  # shared_apps.providers.Provider row (public schema)
    reference = models.CharField(max_length=80, unique=True)  # ours, sent to the gateway
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=FundingStatus.choices, default=FundingStatus.PENDING)
    authorization_url = models.URLField(max_length=1000, blank=True, default="")
    provider_reference = models.CharField(max_length=200, blank=True, default="")
    # Orange Money authenticates its native notifications with a per-payment token.
    notify_token = models.CharField(max_length=200, blank=True, default="")
    phone = models.CharField(max_length=20, blank=True, default="")  # mobile-money payer
    verified_amount_minor = models.BigIntegerField(null=True, blank=True)
    verified_currency = models.CharField(max_length=3, blank=True, default="")
    provider_transaction_id = models.CharField(max_length=100, blank=True, default="")
    provider_status = models.CharField(max_length=60, blank=True, default="")
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    credit_entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    polls = models.PositiveIntegerField(default=0)
    virtual_account = models.ForeignKey(VirtualAccount, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="payments")
    # Finance's decision on a payment in review (tenant_apps.wallet.funding_reviews), once.
    resolution = models.CharField(max_length=12, choices=FundingResolution.choices, blank=True, default="")
    resolution_entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="+")
    resolved_by = models.UUIDField(null=True, blank=True)  # the staff member's public id
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=255, blank=True, default="")
    gateway_refund_reference = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="wallet_funding_status")]
        constraints = [
            models.CheckConstraint(name="wallet_funding_amount_positive", condition=models.Q(amount_minor__gt=0)),
            # Credited if and only if succeeded.
            models.CheckConstraint(
                name="wallet_funding_credit_iff_succeeded",
                condition=(models.Q(status="succeeded", credit_entry__isnull=False)
                           | (~models.Q(status="succeeded") & models.Q(credit_entry__isnull=True)))),
            # Resolved only by a recorded decision.
            models.CheckConstraint(
                name="wallet_funding_resolved_has_resolution",
                condition=~models.Q(status="resolved")
                | (~models.Q(resolution="") & models.Q(resolved_at__isnull=False))),
        ]

    def __str__(self) -> str:
        return f"funding {self.reference} {self.amount_minor} {self.currency} ({self.status})"

    @property
    def ledger_reference(self) -> str:
        return f"{self.gateway}:{self.reference}"

    @property
    def gateway_reference(self) -> str:
        """The reference the gateway knows this payment by (ours, except for transfers into a dedicated account)."""
        return self.provider_reference if self.virtual_account_id else self.reference


class TransferType(models.TextChoices):
    P2P = "p2p", _("To another user")
    BANK = "bank", _("To a bank account")
    WALLET = "wallet", _("To a mobile-money wallet")  # account_number = the wallet's MSISDN (digits)


PAYOUT_TYPES = frozenset({TransferType.BANK, TransferType.WALLET})  # sent through a payout rail


class TransferStatus(models.TextChoices):
    # Money on hold, NOT sent: a risk rule held it for an operator's review (tenant_apps.risk.review).
    HELD = "held", _("Held for review")
    PENDING = "pending", _("Pending")  # money on hold, payout sent or being sent; outcome unknown
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")  # hold released: the money is back in the wallet
    REVERSED = "reversed", _("Reversed")  # paid, then returned by the bank: refunded


TRANSFER_FINAL = frozenset({TransferStatus.FAILED, TransferStatus.REVERSED})


class Transfer(models.Model):
    # A payout callback finds a transfer only among those sent to its gateway (shared_apps.providers.callbacks).
    provider_binding = ProviderBinding(plugin_field="gateway", provider_field="provider_id")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    type = models.CharField(max_length=8, choices=TransferType.choices)
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="transfers_sent")
    recipient_user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="transfers_received")
    bank_code = models.CharField(max_length=20, blank=True, default="")
    account_number = models.CharField(max_length=20, blank=True, default="")
    account_name = models.CharField(max_length=200, blank=True, default="")
    amount_minor = models.BigIntegerField()
    # Levies charged to the sender on top of the amount (countries.tax: Nigeria's stamp duty from NGN 10,000):
    # the sender's debit (or hold) is amount + tax; the tax goes to its tax_payable_levy_<code> account.
    tax_minor = models.BigIntegerField(default=0)
    tax_lines = models.JSONField(default=list, blank=True)  # countries.tax.TaxAmount dicts
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=TransferStatus.choices, default=TransferStatus.PENDING)
    reference = models.CharField(max_length=80, unique=True)  # ours; the payout reference at the gateway
    gateway = models.CharField(max_length=40, blank=True, default="")
    provider_id = models.IntegerField(null=True, blank=True)
    provider_reference = models.CharField(max_length=200, blank=True, default="")
    provider_status = models.CharField(max_length=60, blank=True, default="")
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    hold = models.ForeignKey("ledger.Hold", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Where the rail sends this payout's notifications (rails that take one per request: MoMo, CinetPay).
    callback_url = models.URLField(max_length=500, blank=True, default="")
    polls = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sender", "-created_at"], name="wallet_transfer_sender"),
                   models.Index(fields=["status", "created_at"], name="wallet_transfer_status")]
        constraints = [
            models.CheckConstraint(name="wallet_transfer_amount_positive", condition=models.Q(amount_minor__gt=0)),
            models.CheckConstraint(name="wallet_transfer_tax_non_negative", condition=models.Q(tax_minor__gte=0)),
        ]

    def __str__(self) -> str:
        return f"transfer {self.type} {self.reference} {self.amount_minor} {self.currency} ({self.status})"

    @property
    def wallet_hold(self) -> Hold:
        """The hold on the money sent: payouts and transfers held for review have one (P2P posts at once)."""
        if self.hold is None:
            raise ValueError(f"{self} has no hold")
        return self.hold

    @property
    def payout_provider_id(self) -> int:
        """The payout rail's registry row (payouts only)."""
        if self.provider_id is None:
            raise ValueError(f"{self} has no payout rail")
        return self.provider_id


class WebhookEvent(models.Model):
    """A gateway notification that was acted on: a redelivery of the same (provider, event id) is skipped."""

    provider = models.CharField(max_length=40)
    event_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=60, blank=True, default="")
    subject = models.CharField(max_length=80, blank=True, default="")  # our reference (intent or transfer)
    outcome = models.CharField(max_length=40, blank=True, default="")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "event_id"], name="wallet_webhook_once")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.event_id}"
