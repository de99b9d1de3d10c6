"""Recurring purchases: a product bought for a recipient every day, week or month."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    CANCELLED = "cancelled", _("Cancelled")
    ENDED = "ended", _("Ended")


class Subscription(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions")
    product_id = models.BigIntegerField()
    product_name = models.CharField(max_length=200)
    frequency = models.CharField(max_length=8, choices=Frequency.choices)
    recipient_phone = models.CharField(max_length=20)
    customer_number = models.CharField(max_length=40, blank=True)
    amount_minor = models.BigIntegerField(null=True, blank=True)  # open-amount products only
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=SubscriptionStatus.choices, default=SubscriptionStatus.ACTIVE)
    paused_reason = models.CharField(max_length=60, blank=True)
    anchor_day = models.PositiveSmallIntegerField()  # day of month of the first run (monthly runs keep it)
    next_run_at = models.DateTimeField(null=True, blank=True)
    failure_count = models.PositiveSmallIntegerField(default=0)
    runs_count = models.PositiveIntegerField(default=0)
    last_order_id = models.BigIntegerField(null=True, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_run_at"], name="subscription_due")]

    def __str__(self) -> str:
        return f"subscription {self.public_id} {self.frequency} {self.status}"
