"""Risk: the operator's rules, one decision per screened money movement, step-up challenges, devices.

* :class:`RiskRule`: what an operator configures (back office or ``/api/risk/rules``): a condition over
  counts or amounts in a time window, per user, recipient, device, IP or product, and the action taken
  when it fires (allow, step-up by OTP or PIN, hold for review, block).
* :class:`RiskDecision`: one row per money movement the gate screened (``tenant_apps.risk.gate``), with the
  rule that decided and why. The rows that went through (``counted``) are also the history the velocity
  rules count, read through partial indexes (docs/risk.md, "Cost").
* :class:`StepUpChallenge`: a step-up the customer owes before the same movement may go through.
* :class:`UserDevice` / :class:`DeviceSession`: the devices a user was seen on (only a keyed hash of the
  device id is stored) and the refresh tokens and web sessions each device holds (sign-out of a device).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Flow(models.TextChoices):
    PURCHASE = "purchase", _("Purchase (airtime, data, bills)")
    P2P = "p2p", _("Transfer to another user")
    BANK_PAYOUT = "bank_payout", _("Bank payout")
    WALLET_PAYOUT = "wallet_payout", _("Mobile-money payout")
    CASH_OUT = "cash_out", _("Cash-out at an agent")
    FUNDING = "funding", _("Wallet funding")
    CASH_IN = "cash_in", _("Cash-in at an agent")
    MERCHANT_PAYMENT = "merchant_payment", _("Payment to a merchant")


OUTFLOWS = frozenset({Flow.PURCHASE, Flow.P2P, Flow.BANK_PAYOUT, Flow.WALLET_PAYOUT, Flow.CASH_OUT,
                      Flow.MERCHANT_PAYMENT})
INFLOWS = frozenset({Flow.FUNDING, Flow.CASH_IN})
PAYOUTS = frozenset({Flow.BANK_PAYOUT, Flow.WALLET_PAYOUT, Flow.CASH_OUT})
# Flows whose money can wait on hold, not sent, until an operator releases it.
HOLDABLE = frozenset({Flow.PURCHASE, Flow.P2P, Flow.BANK_PAYOUT, Flow.WALLET_PAYOUT})


class RuleType(models.TextChoices):
    VELOCITY_COUNT = "velocity_count", _("More than N movements in a window")
    VELOCITY_AMOUNT = "velocity_amount", _("More than an amount in a window")
    AMOUNT_ABOVE = "amount_above", _("One movement above an amount")
    NEW_RECIPIENT = "new_recipient", _("First movement to a new recipient above an amount")
    AFTER_FUNDING = "after_funding", _("Movement within a window after money came in")
    NEW_DEVICE = "new_device", _("Movement from a device the user has not confirmed")


WINDOW_TYPES = frozenset({RuleType.VELOCITY_COUNT, RuleType.VELOCITY_AMOUNT, RuleType.AFTER_FUNDING})
AMOUNT_TYPES = frozenset({RuleType.VELOCITY_AMOUNT, RuleType.AMOUNT_ABOVE, RuleType.NEW_RECIPIENT,
                          RuleType.AFTER_FUNDING})


class Scope(models.TextChoices):
    """What a velocity rule counts together: the user's movements, or everyone's to the same recipient, from the
    same device, from the same IP address, or of the same product."""

    USER = "user", _("Per user")
    RECIPIENT = "recipient", _("Per recipient")
    DEVICE = "device", _("Per device")
    IP = "ip", _("Per IP address")
    PRODUCT = "product", _("Per product")


class Action(models.TextChoices):
    ALLOW = "allow", _("Allow")
    STEP_UP_OTP = "step_up_otp", _("Ask for a code sent by SMS")
    STEP_UP_PIN = "step_up_pin", _("Ask for the transaction PIN")
    HOLD = "hold", _("Hold for review")
    BLOCK = "block", _("Block")


STEP_UP_ACTIONS = frozenset({Action.STEP_UP_OTP, Action.STEP_UP_PIN})


class RiskRule(models.Model):
    """One operator rule. Rules are evaluated by ``priority`` (lowest first); the first that fires decides
    (an ``allow`` rule therefore exempts what matches it from the rules after it)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=120)
    rule_type = models.CharField(max_length=20, choices=RuleType.choices)
    # Empty: every outflow (purchase, p2p, payouts, cash-out).
    flows = ArrayField(models.CharField(max_length=16, choices=Flow.choices), default=list, blank=True)
    product_type = models.CharField(max_length=16, blank=True, default="")  # purchases of this type only
    scope = models.CharField(max_length=12, choices=Scope.choices, default=Scope.USER)
    window_seconds = models.PositiveIntegerField(default=0)
    threshold_count = models.PositiveIntegerField(null=True, blank=True)
    threshold_amount_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True, default="")
    new_recipients_only = models.BooleanField(default=False)  # velocity: count movements to new recipients only
    action = models.CharField(max_length=12, choices=Action.choices)
    priority = models.PositiveIntegerField(default=100)
    is_active = models.BooleanField(default=True)
    notes = models.CharField(max_length=300, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["priority", "id"]
        indexes = [models.Index(fields=["priority", "id"], condition=models.Q(is_active=True),
                                name="risk_rule_active")]
        constraints = [
            models.CheckConstraint(name="risk_rule_window_bounded",
                                   condition=models.Q(window_seconds__lte=31 * 24 * 3600)),
            models.CheckConstraint(name="risk_rule_amount_not_negative",
                                   condition=models.Q(threshold_amount_minor__isnull=True)
                                   | models.Q(threshold_amount_minor__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.rule_type} -> {self.action})"


class Outcome(models.TextChoices):
    ALLOW = "allow", _("Allowed")
    STEP_UP = "step_up", _("Step-up asked")
    HOLD = "hold", _("Held for review")
    BLOCK = "block", _("Blocked")


class ReviewStatus(models.TextChoices):
    NONE = "", _("Not held")
    PENDING = "pending", _("Waiting for review")
    RELEASED = "released", _("Released")
    REJECTED = "rejected", _("Rejected, money returned")


class RiskDecision(models.Model):
    """What the gate decided about one movement, and the facts it decided on.

    ``counted``: the movement went through (allowed or held) and counts in velocity windows; refusals
    (block, step-up asked) are recorded after their transaction rolled back and never count.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="risk_decisions",
                             db_index=False)  # risk_dec_user leads with it
    flow = models.CharField(max_length=16, choices=Flow.choices)
    product_type = models.CharField(max_length=16, blank=True, default="")
    product_id = models.BigIntegerField(null=True, blank=True)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    recipient_hash = models.CharField(max_length=32, blank=True, default="")
    recipient_new = models.BooleanField(default=False)
    recipient_label = models.CharField(max_length=60, blank=True, default="")  # masked, for the review queue
    device_hash = models.CharField(max_length=32, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=8, default="system")  # api, web, api_key, ussd, system
    reference = models.CharField(max_length=160)  # the movement's own reference (KYC/ledger)
    subject_type = models.CharField(max_length=20, blank=True, default="")  # order, transfer, ...
    subject_id = models.CharField(max_length=40, blank=True, default="")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    rule = models.ForeignKey(RiskRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="decisions",
                             db_index=False)  # risk_dec_rule: only decisions a rule made
    rule_name = models.CharField(max_length=120, blank=True, default="")
    reason = models.CharField(max_length=200, blank=True, default="")
    stepped_up = models.CharField(max_length=8, blank=True, default="")  # the step-up passed: otp / pin
    counted = models.BooleanField(default=True)
    completed_at = models.DateTimeField(null=True, blank=True)  # inflows: when the money arrived
    review_status = models.CharField(max_length=10, choices=ReviewStatus.choices, blank=True, default="")
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", db_index=False)  # risk_dec_reviewed_by: reviewed ones only
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The velocity windows, one per scope; only what counts is indexed. The user's window reads every
            # decision of the user (refusals are few: ``counted`` is a filter there) so that the same index serves
            # the user's own list and the foreign key, instead of a second index on user_id.
            models.Index(fields=["user", "created_at"], name="risk_dec_user"),
            models.Index(fields=["user", "recipient_hash"], condition=models.Q(counted=True) & ~models.Q(
                recipient_hash=""), name="risk_dec_user_recipient"),
            models.Index(fields=["recipient_hash", "created_at"], condition=models.Q(counted=True) & ~models.Q(
                recipient_hash=""), name="risk_dec_recipient"),
            models.Index(fields=["device_hash", "created_at"], condition=models.Q(counted=True) & ~models.Q(
                device_hash=""), name="risk_dec_device"),
            models.Index(fields=["ip", "created_at"], condition=models.Q(counted=True, ip__isnull=False),
                         name="risk_dec_ip"),
            models.Index(fields=["product_id", "created_at"], condition=models.Q(counted=True,
                                                                                 product_id__isnull=False),
                         name="risk_dec_product"),
            # Money that came in (payout-after-funding rules).
            models.Index(fields=["user", "completed_at"], condition=models.Q(counted=True, flow__in=sorted(INFLOWS),
                                                                             completed_at__isnull=False),
                         name="risk_dec_inflow"),
            models.Index(fields=["reference"], name="risk_dec_reference"),
            models.Index(fields=["created_at"], name="risk_dec_created"),
            models.Index(fields=["created_at"], condition=models.Q(review_status="pending"), name="risk_dec_review"),
            # The foreign keys' lookups (a rule's decisions, a reviewer's), without a NULL entry per decision.
            models.Index(fields=["rule"], condition=models.Q(rule__isnull=False), name="risk_dec_rule"),
            models.Index(fields=["reviewed_by"], condition=models.Q(reviewed_by__isnull=False),
                         name="risk_dec_reviewed_by"),
        ]

    def __str__(self) -> str:
        return f"{self.flow} {self.reference}: {self.outcome}"


class StepUpMethod(models.TextChoices):
    OTP = "otp", _("Code by SMS")
    PIN = "pin", _("Transaction PIN")


class StepUpChallenge(models.Model):
    """A step-up the user owes for one movement (bound by ``fingerprint``: flow, amount, recipient, product).

    Verified on its own (``POST /api/risk/step-up/<id>/verify``, attempts counted and committed), then
    consumed by the repeated request's transaction (``X-Step-Up: <id>``): used once, for that movement only.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    decision = models.ForeignKey(RiskDecision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.ForeignKey(RiskRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    method = models.CharField(max_length=8, choices=StepUpMethod.choices)
    fingerprint = models.CharField(max_length=64)
    device_hash = models.CharField(max_length=32, blank=True, default="")
    otp = models.ForeignKey("accounts.PhoneOtp", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    consumed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"step-up {self.method} {self.public_id}"


class UserDevice(models.Model):
    """A device a user was seen on: the web cookie or the API's ``X-Device-Id`` (a keyed hash only)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    device_hash = models.CharField(max_length=32)
    channel = models.CharField(max_length=8, default="web")
    user_agent = models.CharField(max_length=200, blank=True, default="")
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    last_ip = models.GenericIPAddressField(null=True, blank=True)
    # Trusted: the user's first device, or one that passed a step-up. New-device rules spare trusted devices.
    trusted_at = models.DateTimeField(null=True, blank=True)
    trust_reason = models.CharField(max_length=20, blank=True, default="")
    signed_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "device_hash"], name="risk_device_once_per_user")]

    def __str__(self) -> str:
        return f"device {self.public_id} of user {self.user_id}"


class DeviceSession(models.Model):
    """What a device holds that sign-out must revoke: a refresh token (by jti) or a web session (by key)."""

    KIND_JWT = "jwt"
    KIND_SESSION = "session"

    device = models.ForeignKey(UserDevice, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(max_length=8)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="risk_device_session_once")]

    def __str__(self) -> str:
        return f"{self.kind} of device {self.device_id}"
