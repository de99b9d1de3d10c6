"""Cash handed over at an agent: cash-in (the agent's float credits the customer's wallet) and cash-out (the
customer's wallet pays the agent, who hands over the cash, against a withdrawal code the customer generated).

The money moves only through ``tenant_apps.ledger`` (holds, then one settlement entry); these rows are the
state machines, the links to those entries, and what the confirmation steps need (only keyed hashes of
one-time codes are stored).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CashKind(models.TextChoices):
    CASH_IN = "cash_in", _("Cash-in")
    CASH_OUT = "cash_out", _("Cash-out")


class CashStatus(models.TextChoices):
    AWAITING_CONFIRMATION = "awaiting_confirmation", _("Waiting for the customer's confirmation")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")  # by the agent, or after too many wrong codes
    EXPIRED = "expired", _("Expired")  # not confirmed in time: the agent's float is released


CASH_FINAL = frozenset({CashStatus.COMPLETED, CashStatus.CANCELLED, CashStatus.EXPIRED})


class ConfirmationChallenge(models.Model):
    """A step where a customer proves they agree (a one-time code by SMS today; a transaction PIN later).

    ``method`` names the confirmation (``cash.confirmation.CONFIRMATION_METHODS``); ``secret_hash`` is the
    keyed hash of the code sent (empty for methods whose secret is not per challenge, like a PIN).
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    purpose = models.CharField(max_length=32)
    reference = models.CharField(max_length=80)  # what is being confirmed (a cash-in reference)
    method = models.CharField(max_length=16)
    secret_hash = models.CharField(max_length=96, blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["reference"], name="cash_challenge_reference")]

    def __str__(self) -> str:
        return f"{self.method} challenge for {self.reference}"


class WithdrawalCodeStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    USED = "used", _("Used")
    CANCELLED = "cancelled", _("Cancelled")
    EXPIRED = "expired", _("Expired")
    LOCKED = "locked", _("Locked (too many wrong codes)")


class WithdrawalCode(models.Model):
    """A short-lived, single-use code for one cash-out of exactly ``amount_minor``.

    Generating it holds ``amount_minor + fee_minor`` on the customer's wallet (``hold``; the hold expires with
    the code, so an unused code gives the money back by itself). A keyed hash binding the code to this row, the
    amount and the currency is what checks it; ``code_sealed`` keeps the code encrypted (``cash.sealing``) only
    while it is active, so the customer can have the same code texted again, and is emptied when it closes.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="withdrawal_codes")
    amount_minor = models.BigIntegerField()
    fee_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    code_hash = models.CharField(max_length=96)
    code_sealed = models.TextField(blank=True, default="")  # Fernet; "" once used, cancelled, expired or locked
    resends = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=WithdrawalCodeStatus.choices,
                              default=WithdrawalCodeStatus.ACTIVE)
    hold = models.ForeignKey("ledger.Hold", on_delete=models.PROTECT, related_name="+")
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["customer", "status"], name="cash_code_customer_status")]
        constraints = [models.CheckConstraint(name="cash_code_amount_positive",
                                              condition=models.Q(amount_minor__gt=0) & models.Q(fee_minor__gte=0))]

    def __str__(self) -> str:
        return f"withdrawal code {self.public_id} {self.amount_minor} {self.currency} ({self.status})"

    @property
    def total_minor(self) -> int:
        """What the code holds on the customer's wallet: the amount and the fee."""
        return self.amount_minor + self.fee_minor


class CashTransaction(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=8, choices=CashKind.choices)
    reference = models.CharField(max_length=80, unique=True)  # ci_<hex> / co_<hex>: every ledger reference derives
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cash_served")
    customer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cash_received")
    amount_minor = models.BigIntegerField()
    fee_minor = models.BigIntegerField(default=0)
    commission_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=24, choices=CashStatus.choices)
    # Cash-in: the agent's float held while the customer confirms. Cash-out: the customer's code hold.
    hold = models.ForeignKey("ledger.Hold", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    challenge = models.ForeignKey(ConfirmationChallenge, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    withdrawal_code = models.OneToOneField(WithdrawalCode, null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="cash_out")
    failure_reason = models.CharField(max_length=120, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["agent", "-created_at"], name="cash_agent_created"),
                   models.Index(fields=["customer", "-created_at"], name="cash_customer_created"),
                   models.Index(fields=["status", "expires_at"], name="cash_status_expires")]
        constraints = [
            models.CheckConstraint(name="cash_amount_positive", condition=models.Q(amount_minor__gt=0)),
            models.CheckConstraint(name="cash_not_to_self", condition=~models.Q(agent=models.F("customer"))),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.reference} {self.amount_minor} {self.currency} ({self.status})"
