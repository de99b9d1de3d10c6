"""Savings: circles (ajo / esusu / tontine) and personal target savings.

A circle's money is a ledger account of its own (kind ``savings_circle``, ``holder = "circle:<id>"``),
a goal's too (``savings_goal``): nobody's spendable wallet, moved only by ``savings.services`` under
the rules below. The rows here are the state machines; every entry's reference derives from them, so
a contribution, a pot or a scheduled top-up posts once whatever the beat or a retry does.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class CircleStatus(models.TextChoices):
    FORMING = "forming", _("Inviting members")
    ACTIVE = "active", _("Running")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Circle(models.Model):
    """A rotating savings group: every cycle each member pays ``contribution_minor``; the pot goes to the
    member whose position is the cycle number. One rotation = as many cycles as members."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=60)
    organiser = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="circles_organised")
    contribution_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    status = models.CharField(max_length=10, choices=CircleStatus.choices, default=CircleStatus.FORMING)
    cycle = models.PositiveIntegerField(default=0)  # the cycle being collected / paid (1-based); 0 before start
    cycles_total = models.PositiveIntegerField(default=0)  # members at start
    next_collection_at = models.DateTimeField(null=True, blank=True)  # when cycle ``cycle`` opens
    anchor_day = models.PositiveSmallIntegerField(default=1)
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_collection_at"], name="savings_circle_due")]
        constraints = [models.CheckConstraint(name="savings_circle_contribution_positive",
                                              condition=models.Q(contribution_minor__gt=0))]

    def __str__(self) -> str:
        return f"circle {self.name} ({self.status})"

    @property
    def holder(self) -> str:
        return f"circle:{self.public_id}"

    @property
    def pot_minor(self) -> int:
        return self.contribution_minor * self.cycles_total


class MemberStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACTIVE = "active", _("Member")
    DECLINED = "declined", _("Declined")
    REMOVED = "removed", _("Removed")


class CircleMember(models.Model):
    """An invitation by phone, then a member. ``position`` is the rotation order: the cycle of their pot."""

    circle = models.ForeignKey(Circle, on_delete=models.PROTECT, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="circle_memberships")
    phone = models.CharField(max_length=20)  # E.164: who was invited (matched when they sign up)
    position = models.PositiveIntegerField(null=True, blank=True)  # set while inviting; fixed at start
    status = models.CharField(max_length=10, choices=MemberStatus.choices, default=MemberStatus.INVITED)
    invited_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["circle", "phone"], condition=models.Q(status__in=["invited", "active"]),
                                    name="savings_member_phone_once"),
            models.UniqueConstraint(fields=["circle", "position"], condition=models.Q(status__in=["invited", "active"]),
                                    name="savings_member_position_once"),
        ]

    def __str__(self) -> str:
        return f"{self.phone} #{self.position} ({self.status})"


class ContributionStatus(models.TextChoices):
    DUE = "due", _("Due")  # collection open, being tried
    COLLECTED = "collected", _("Paid")
    MISSED = "missed", _("Missed")  # retried, then flagged: visible to the group
    COVERED = "covered", _("Paid late")  # a missed contribution made good (by the member, or from their own pot)


class Contribution(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    circle = models.ForeignKey(Circle, on_delete=models.PROTECT, related_name="contributions")
    member = models.ForeignKey(CircleMember, on_delete=models.PROTECT, related_name="contributions")
    cycle = models.PositiveIntegerField()
    amount_minor = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=ContributionStatus.choices, default=ContributionStatus.DUE)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    collected_at = models.DateTimeField(null=True, blank=True)
    flagged_at = models.DateTimeField(null=True, blank=True)
    # A missed contribution is owed to the member whose pot it shortened (none when it was their own pot).
    owed_to = models.ForeignKey(CircleMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    covered_at = models.DateTimeField(null=True, blank=True)
    covered_from_pot = models.BooleanField(default=False)
    entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["cycle", "member__position"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="savings_contribution_due")]
        constraints = [models.UniqueConstraint(fields=["circle", "member", "cycle"], name="savings_contribute_once")]

    def __str__(self) -> str:
        return f"cycle {self.cycle} member {self.member_id}: {self.status}"


class PayoutStatus(models.TextChoices):
    PAID = "paid", _("Paid")
    # The pot would take a wallet over its KYC tier's maximum balance: it stays in the circle's account
    # and is paid as soon as the wallet has room (every beat tries again).
    HELD = "held", _("Held: over the wallet's maximum balance")


class CirclePayout(models.Model):
    """The pot of one cycle, paid once to the member in that position (less what they owed the group)."""

    circle = models.ForeignKey(Circle, on_delete=models.PROTECT, related_name="payouts")
    cycle = models.PositiveIntegerField()
    member = models.ForeignKey(CircleMember, on_delete=models.PROTECT, related_name="payouts")
    collected_minor = models.BigIntegerField()  # what the cycle collected
    arrears_deducted_minor = models.BigIntegerField(default=0)  # the recipient's own debts, paid to those owed
    amount_minor = models.BigIntegerField()  # what reached (held: will reach) the recipient's wallet
    status = models.CharField(max_length=8, choices=PayoutStatus.choices, default=PayoutStatus.PAID,
                              db_default=PayoutStatus.PAID)
    entry = models.ForeignKey("ledger.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    paid_at = models.DateTimeField(default=timezone.now, null=True, blank=True)  # None while held
    held_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["cycle"]
        constraints = [
            models.UniqueConstraint(fields=["circle", "cycle"], name="savings_one_pot_per_cycle"),
            models.CheckConstraint(name="savings_payout_amounts",
                                   condition=models.Q(amount_minor__gte=0, arrears_deducted_minor__gte=0,
                                                      collected_minor=models.F("amount_minor")
                                                      + models.F("arrears_deducted_minor"))),
            models.CheckConstraint(name="savings_held_payout_not_posted",
                                   condition=~models.Q(status="held") | models.Q(entry__isnull=True,
                                                                                 paid_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"pot of cycle {self.cycle}: {self.amount_minor}"


class EarlyWithdrawal(models.TextChoices):
    REFUSED = "refused", _("Refused until the lock date")
    PENALTY = "penalty", _("Allowed with a penalty")


class SavingsSettings(models.Model):
    """The operator's rules for target savings in this tenant (one row). New goals take a copy."""

    early_withdrawal = models.CharField(max_length=10, choices=EarlyWithdrawal.choices,
                                        default=EarlyWithdrawal.REFUSED)
    penalty_bps = models.PositiveIntegerField(default=0)  # of the amount withdrawn early, to revenue
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(name="savings_penalty_range", condition=models.Q(penalty_bps__lte=5_000))]

    def __str__(self) -> str:
        return f"early withdrawal {self.early_withdrawal} ({self.penalty_bps} bps)"


class GoalStatus(models.TextChoices):
    ACTIVE = "active", _("Saving")
    CLOSED = "closed", _("Closed")


class SavingsGoal(models.Model):
    """A personal goal: money put aside from the wallet, optionally locked until a date.

    ``early_withdrawal`` and ``penalty_bps`` are the operator's rule when the goal was opened: a rule
    changed later never applies to money already locked under the old one.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="savings_goals")
    name = models.CharField(max_length=60)
    target_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    lock_until = models.DateField(null=True, blank=True)
    early_withdrawal = models.CharField(max_length=10, choices=EarlyWithdrawal.choices)
    penalty_bps = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=GoalStatus.choices, default=GoalStatus.ACTIVE)
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    autosave_minor = models.BigIntegerField(null=True, blank=True)
    autosave_frequency = models.CharField(max_length=8, choices=Frequency.choices, blank=True)
    autosave_next_at = models.DateTimeField(null=True, blank=True)
    autosave_anchor_day = models.PositiveSmallIntegerField(default=1)
    autosave_failures = models.PositiveSmallIntegerField(default=0)
    autosave_paused_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "autosave_next_at"], name="savings_goal_autosave_due")]
        constraints = [
            models.CheckConstraint(name="savings_goal_target_positive", condition=models.Q(target_minor__gt=0)),
            models.CheckConstraint(name="savings_goal_autosave_positive",
                                   condition=models.Q(autosave_minor__isnull=True) | models.Q(autosave_minor__gt=0)),
        ]

    def __str__(self) -> str:
        return f"goal {self.name} ({self.status})"

    @property
    def holder(self) -> str:
        return f"goal:{self.public_id}"
