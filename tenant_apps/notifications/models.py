"""SMS delivery log: one row per message we tried to send (the text is stored redacted)."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Accepted by the provider")
    PENDING = "pending", _("Unclear (timeout): may have been delivered")
    FAILED = "failed", _("Failed")


class SmsMessage(models.Model):
    reference = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    to = models.CharField(max_length=20)
    purpose = models.CharField(max_length=32)
    # One-time codes never reach the database: only the redacted text does.
    body_redacted = models.TextField()
    status = models.CharField(max_length=16, choices=SmsStatus.choices, default=SmsStatus.QUEUED)
    provider = models.CharField(max_length=64, blank=True)
    provider_message_id = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["to", "-created_at"]), models.Index(fields=["status"])]

    def __str__(self) -> str:
        return f"SMS to {self.to} ({self.status})"
