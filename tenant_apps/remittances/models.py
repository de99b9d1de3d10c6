"""Cross-border remittances in a country tenant: corridors (the operator's pricing), quotes, the sender's
remittances, the steps done in this schema, and the remittances this tenant received.

A remittance crosses schemas as a sequence of local transactions (docs/remittances.md):

    sender tenant  debit   hold settled: fee -> fees, principal -> remittance_clearing
    public hub     in      sender position -> corridor clearing
    receiver       credit  remittance_clearing -> recipient wallet (capped)   | payout: -> remittance holder
    public hub     out     corridor clearing -> FX -> receiver position       | refund: -> sender position
    sender tenant  (refund: remittance_clearing + fees -> the customer's wallet)

Every step is made idempotent by a unique key (remittance id + step): a :class:`RemittanceStep` row in this
schema, committed with the step's ledger entry (whose reference is derived from the same key).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from countries.fields import CountryField


class Method(models.TextChoices):
    WALLET = "wallet", _("To a NexusTop wallet")
    MOBILE_MONEY = "mobile_money", _("To a mobile-money wallet")
    BANK = "bank", _("To a bank account")


class Corridor(models.Model):
    """Where this tenant's customers may send, and at what price (the operator's, edited in the back office).

    ``margin_bps`` comes off the mid-market rate; ``fee_bps`` + ``fee_fixed_minor`` (send currency) is the
    fee, taken from the amount sent.
    """

    destination_country = CountryField(unique=True)
    active = models.BooleanField(default=True)
    margin_bps = models.PositiveIntegerField(default=150)
    fee_bps = models.PositiveIntegerField(default=100)
    fee_fixed_minor = models.BigIntegerField(default=0)
    min_send_minor = models.BigIntegerField(default=100)
    max_send_minor = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["destination_country"]
        constraints = [
            models.CheckConstraint(name="remit_corridor_margin_range", condition=models.Q(margin_bps__lt=5000)),
            models.CheckConstraint(name="remit_corridor_fee_range",
                                   condition=models.Q(fee_bps__lt=5000, fee_fixed_minor__gte=0)),
        ]

    def __str__(self) -> str:
        return f"corridor -> {self.destination_country}"

    @property
    def smallest_send_minor(self) -> int:
        """The published minimum: the operator's, raised to the smallest amount the fee leaves something of
        (a 1 % + ₦100 fee refuses anything under ₦101.03, whatever ``min_send_minor`` says)."""
        from .fx import smallest_send

        return max(self.min_send_minor, smallest_send(fee_bps=self.fee_bps, fee_fixed_minor=self.fee_fixed_minor))


class ScreeningStatus(models.TextChoices):
    CLEAR = "clear", _("Clear")
    HIT = "hit", _("Possible match")


class Quote(models.Model):
    """What the customer was offered: figures and rate locked until ``expires_at``; accepted at most once."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="remittance_quotes")
    destination_country = CountryField()
    destination_schema = models.CharField(max_length=63)
    method = models.CharField(max_length=16, choices=Method.choices)
    send_currency = models.CharField(max_length=3)
    receive_currency = models.CharField(max_length=3)
    send_minor = models.BigIntegerField()
    fee_minor = models.BigIntegerField()
    principal_minor = models.BigIntegerField()
    mid_rate_e9 = models.BigIntegerField()
    rate_e9 = models.BigIntegerField()
    margin_bps = models.PositiveIntegerField()
    receive_minor = models.BigIntegerField()
    recipient_name = models.CharField(max_length=120)
    recipient_phone = models.CharField(max_length=20, blank=True, default="")  # E.164, destination country
    recipient_rail = models.CharField(max_length=40, blank=True, default="")
    recipient_bank_code = models.CharField(max_length=20, blank=True, default="")
    recipient_account = models.CharField(max_length=20, blank=True, default="")
    rate_source = models.CharField(max_length=80, blank=True, default="")
    screening = models.CharField(max_length=8, choices=ScreeningStatus.choices)
    screening_matches = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            # No money created: what is sent is exactly the fee plus the principal converted.
            models.CheckConstraint(name="remit_quote_send_is_fee_plus_principal",
                                   condition=models.Q(send_minor=models.F("fee_minor") + models.F("principal_minor"))),
            models.CheckConstraint(name="remit_quote_amounts_positive",
                                   condition=models.Q(principal_minor__gt=0, receive_minor__gt=0, fee_minor__gte=0)),
        ]

    def __str__(self) -> str:
        return f"quote {self.public_id} {self.send_minor} {self.send_currency} -> {self.destination_country}"


class RemittanceStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")  # the amount is on hold in the sender's wallet
    HELD_FOR_REVIEW = "held_for_review", _("Held for review")  # on hold; nothing sent until staff release it
    IN_TRANSIT = "in_transit", _("In transit")
    CREDITED = "credited", _("Credited")  # to the recipient's NexusTop wallet
    PAID_OUT = "paid_out", _("Paid out")  # to a mobile-money wallet or bank account
    REFUNDED = "refunded", _("Refunded")  # the whole amount back in the sender's wallet


REMITTANCE_FINAL = frozenset({RemittanceStatus.CREDITED, RemittanceStatus.PAID_OUT, RemittanceStatus.REFUNDED})
REMITTANCE_MOVING = frozenset({RemittanceStatus.ACCEPTED, RemittanceStatus.IN_TRANSIT})


class Remittance(models.Model):
    """A remittance as its sender's tenant knows it (figures copied from the quote)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    quote = models.OneToOneField(Quote, on_delete=models.PROTECT, related_name="remittance")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="remittances_sent")
    destination_country = CountryField()
    destination_schema = models.CharField(max_length=63)
    method = models.CharField(max_length=16, choices=Method.choices)
    send_currency = models.CharField(max_length=3)
    receive_currency = models.CharField(max_length=3)
    send_minor = models.BigIntegerField()
    fee_minor = models.BigIntegerField()
    principal_minor = models.BigIntegerField()
    rate_e9 = models.BigIntegerField()
    receive_minor = models.BigIntegerField()
    recipient_name = models.CharField(max_length=120)
    recipient_phone = models.CharField(max_length=20, blank=True, default="")
    recipient_rail = models.CharField(max_length=40, blank=True, default="")
    recipient_bank_code = models.CharField(max_length=20, blank=True, default="")
    recipient_account = models.CharField(max_length=20, blank=True, default="")
    status = models.CharField(max_length=16, choices=RemittanceStatus.choices, default=RemittanceStatus.ACCEPTED)
    review_reason = models.CharField(max_length=20, blank=True, default="")  # sanctions | risk
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    hold = models.ForeignKey("ledger.Hold", on_delete=models.PROTECT, related_name="+")
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sender", "-created_at"], name="remit_sender"),
                   models.Index(fields=["status", "updated_at"], name="remit_status")]
        constraints = [
            models.CheckConstraint(name="remit_send_is_fee_plus_principal",
                                   condition=models.Q(send_minor=models.F("fee_minor") + models.F("principal_minor"))),
        ]

    def __str__(self) -> str:
        return f"remittance {self.public_id} ({self.status})"

    @property
    def reference(self) -> str:
        return f"remit:{self.public_id}"


class RemittanceStep(models.Model):
    """A step done in THIS schema, committed with its ledger entry: the unique key that makes it run once."""

    remittance_id = models.UUIDField()
    step = models.CharField(max_length=16)  # debit | refund (sender) ; credit | payout | return (receiver)
    entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["remittance_id", "step"], name="remit_step_once")]

    def __str__(self) -> str:
        return f"{self.remittance_id}:{self.step}"


class InboundStatus(models.TextChoices):
    CREDITED = "credited", _("Credited")
    PAYING_OUT = "paying_out", _("Being paid out")
    PAID_OUT = "paid_out", _("Paid out")
    RETURNED = "returned", _("Returned to the sender")


class InboundRemittance(models.Model):
    """A remittance this tenant received (from the hub's figures, never a caller's)."""

    public_id = models.UUIDField(unique=True)  # the sender tenant's id
    sender_schema = models.CharField(max_length=63)
    sender_country = CountryField()
    method = models.CharField(max_length=16, choices=Method.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="remittances_received")
    recipient_name = models.CharField(max_length=120, blank=True, default="")
    recipient_phone = models.CharField(max_length=20, blank=True, default="")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=InboundStatus.choices)
    transfer = models.ForeignKey("wallet.Transfer", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+")
    failure_reason = models.CharField(max_length=255, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["recipient", "-created_at"], name="remit_inbound_recipient")]

    def __str__(self) -> str:
        return f"inbound {self.public_id} {self.amount_minor} {self.currency} ({self.status})"
