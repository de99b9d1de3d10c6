"""Data-subject requests: exports (a zip in the tenant's private bucket, expiring) and erasures."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    PENDING = "pending", _("Being prepared")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class DataExport(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_exports")
    # Who asked: the person, or an operator on their behalf (a written request); the zip is the person's only.
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.PENDING)
    file_key = models.CharField(max_length=255, blank=True)  # tenants/<schema>/privacy/exports/<uuid>.zip
    size_bytes = models.PositiveBigIntegerField(default=0)
    tables = models.JSONField(default=dict, blank=True)  # table -> row count
    error = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="privacy_export_user")]

    def __str__(self) -> str:
        return f"export {self.public_id} {self.status}"


class Erasure(models.Model):
    """One erasure, done: who asked, when, how many rows changed per table (no personal value in it)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="erasure")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    reason = models.CharField(max_length=20, default="request")  # request, retention
    tables = models.JSONField(default=dict, blank=True)  # table -> rows changed
    erased_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"erasure {self.public_id}"
