"""Merchants of a tenant: who they are (business KYC reviewed by the operator), what they are paid, what
they refund and what is settled to them each day.

Money never lives in these rows: a merchant's unsettled takings are a ledger account of kind ``merchant``
(``holder = "merchant:<public_id>"``, non-negative cached balance); payments, refunds and settlements
are journal entries whose references derive from the rows' own references, so each posts once.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MerchantCategory(models.Model):
    """A kind of business (its ISO 18245 merchant category code goes in the QR) and the fee it pays per
    payment, set by the operator: ``fee_bps`` of the amount plus ``fee_fixed_minor``, at most ``fee_cap_minor``."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    mcc = models.CharField(max_length=4)
    fee_bps = models.PositiveIntegerField(default=0)  # 100 = 1 %
    fee_fixed_minor = models.BigIntegerField(default=0)
    fee_cap_minor = models.BigIntegerField(null=True, blank=True)
    active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(name="merchants_category_mcc_digits", condition=models.Q(mcc__regex=r"^[0-9]{4}$")),
            models.CheckConstraint(name="merchants_category_fee_range",
                                   condition=models.Q(fee_bps__lte=10_000, fee_fixed_minor__gte=0)
                                   & (models.Q(fee_cap_minor__isnull=True) | models.Q(fee_cap_minor__gte=0))),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.mcc})"

    def fee_for(self, amount_minor: int) -> int:
        """The fee on a payment, in integers, rounded half up, never above the cap nor the amount."""
        fee = (amount_minor * self.fee_bps + 5_000) // 10_000 + self.fee_fixed_minor
        if self.fee_cap_minor is not None:
            fee = min(fee, self.fee_cap_minor)
        return max(0, min(fee, amount_minor))


class MerchantStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    ACTIVE = "active", _("Active")
    REJECTED = "rejected", _("Rejected")
    SUSPENDED = "suspended", _("Suspended")


class SettlementMethod(models.TextChoices):
    WALLET = "wallet", _("To my wallet")
    BANK = "bank", _("To a bank account")
    MOBILE_MONEY = "mobile_money", _("To a mobile-money wallet")


class Merchant(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What payers type or what the QR carries: 7 random digits + a Luhn check digit (typos are caught).
    code = models.CharField(max_length=8, unique=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="merchants")
    business_name = models.CharField(max_length=100)
    category = models.ForeignKey(MerchantCategory, on_delete=models.PROTECT, related_name="merchants")
    city = models.CharField(max_length=60)
    address = models.CharField(max_length=200)
    registration_number = models.CharField(max_length=40, blank=True)  # blank: an informal business
    contact_phone = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=MerchantStatus.choices, default=MerchantStatus.PENDING)
    settlement_method = models.CharField(max_length=12, choices=SettlementMethod.choices,
                                         default=SettlementMethod.WALLET)
    settlement_bank_code = models.CharField(max_length=20, blank=True)
    settlement_account_number = models.CharField(max_length=20, blank=True)
    settlement_account_name = models.CharField(max_length=200, blank=True)  # as the bank / rail named it
    settlement_phone = models.CharField(max_length=20, blank=True)  # E.164, mobile money
    settlement_rail = models.CharField(max_length=40, blank=True)
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["business_name", "id"]
        indexes = [models.Index(fields=["status", "created_at"], name="merchants_status")]
        constraints = [
            models.UniqueConstraint(fields=["owner", "business_name"], name="merchants_one_name_per_owner"),
            models.CheckConstraint(name="merchants_code_digits", condition=models.Q(code__regex=r"^[0-9]{8}$")),
        ]

    def __str__(self) -> str:
        return f"{self.business_name} ({self.code})"

    @property
    def holder(self) -> str:
        return f"merchant:{self.public_id}"


class PaymentChannel(models.TextChoices):
    CODE = "code", _("Merchant code")
    QR_STATIC = "qr_static", _("QR code")
    QR_DYNAMIC = "qr_dynamic", _("QR code with amount")


class PaymentStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    PARTIALLY_REFUNDED = "partially_refunded", _("Partly refunded")
    REFUNDED = "refunded", _("Refunded")


class PaymentRequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for payment")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentRequest(models.Model):
    """A dynamic QR code: one payment of a set amount (its reference is in the QR's reference label)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=25, unique=True)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="payment_requests")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    bill_number = models.CharField(max_length=25, blank=True)
    status = models.CharField(max_length=10, choices=PaymentRequestStatus.choices,
                              default=PaymentRequestStatus.OPEN)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(name="merchants_request_amount_positive",
                                              condition=models.Q(amount_minor__gt=0))]

    def __str__(self) -> str:
        return f"request {self.reference} {self.amount_minor} {self.currency} ({self.status})"


class MerchantPayment(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=40, unique=True)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="payments")
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="merchant_payments")
    amount_minor = models.BigIntegerField()  # what the payer paid
    fee_minor = models.BigIntegerField()  # to revenue, out of the amount
    currency = models.CharField(max_length=3)
    channel = models.CharField(max_length=12, choices=PaymentChannel.choices)
    request = models.OneToOneField(PaymentRequest, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="payment")
    note = models.CharField(max_length=140, blank=True)
    refunded_minor = models.BigIntegerField(default=0)
    status = models.CharField(max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PAID)
    entry = models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="merchants_payment_merchant"),
                   models.Index(fields=["payer", "-created_at"], name="merchants_payment_payer")]
        constraints = [
            models.CheckConstraint(name="merchants_payment_amounts",
                                   condition=models.Q(amount_minor__gt=0, fee_minor__gte=0,
                                                      fee_minor__lte=models.F("amount_minor"))),
            # Never more refunded than paid, whatever the code does.
            models.CheckConstraint(name="merchants_payment_refund_bounds",
                                   condition=models.Q(refunded_minor__gte=0,
                                                      refunded_minor__lte=models.F("amount_minor"))),
        ]

    def __str__(self) -> str:
        return f"payment {self.reference} {self.amount_minor} {self.currency} ({self.status})"

    @property
    def net_minor(self) -> int:
        return self.amount_minor - self.fee_minor

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


class MerchantRefund(models.Model):
    """Part or all of a payment given back to the payer: the merchant returns its share, revenue its fee share."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    payment = models.ForeignKey(MerchantPayment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.BigIntegerField()  # what the payer gets back
    fee_returned_minor = models.BigIntegerField()  # the part of it that comes from revenue
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey("ledger.JournalEntry", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(
            name="merchants_refund_amounts",
            condition=models.Q(amount_minor__gt=0, fee_returned_minor__gte=0,
                               fee_returned_minor__lte=models.F("amount_minor")))]

    def __str__(self) -> str:
        return f"refund {self.public_id} of {self.payment_id}: {self.amount_minor}"


class SettlementStatus(models.TextChoices):
    PENDING = "pending", _("Being paid")
    SUCCEEDED = "succeeded", _("Paid")
    FAILED = "failed", _("Failed: back in the takings")


class MerchantSettlement(models.Model):
    """What a merchant is paid once per business day: the takings balance at settlement time."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="settlements")
    business_date = models.DateField()
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=12, choices=SettlementMethod.choices)
    status = models.CharField(max_length=10, choices=SettlementStatus.choices, default=SettlementStatus.PENDING)
    transfer = models.ForeignKey("wallet.Transfer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    failure_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-business_date", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "business_date"], name="merchants_settle_once_per_day"),
            models.CheckConstraint(name="merchants_settlement_amount_positive",
                                   condition=models.Q(amount_minor__gt=0)),
        ]

    def __str__(self) -> str:
        return f"settlement {self.merchant_id} {self.business_date} {self.amount_minor} ({self.status})"

    @property
    def reference(self) -> str:
        return f"ms_{self.public_id.hex[:24]}"
