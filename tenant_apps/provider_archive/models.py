"""Every HTTP exchange with a provider or gateway, redacted, filed under the attempt it served.

A row is written by the core after the call (``services.archive_exchanges``), never by a plugin; secrets
are removed and personal numbers masked before the row exists (``redaction``). Rows are kept for the
country's ``retention.provider_archive_years`` and purged by ``purge_provider_archive``.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ArchiveSubject(models.TextChoices):
    ORDER = "order", _("Order")
    PAYOUT = "payout", _("Payout")
    FUNDING = "funding", _("Funding")
    KYC = "kyc", _("KYC check")
    SMS = "sms", _("SMS")


class ProviderExchange(models.Model):
    # What the exchange belongs to: the order / transfer / funding intent / KYC submission / SMS (its pk),
    # and the attempt's own reference (the order attempt's request id, the transfer or intent reference).
    subject_type = models.CharField(max_length=12, choices=ArchiveSubject.choices)
    subject_id = models.BigIntegerField(null=True, blank=True)
    attempt_ref = models.CharField(max_length=100, blank=True)
    operation = models.CharField(max_length=32)  # purchase, requery, payout, payout_status, checkout, verify, ...
    plugin_key = models.CharField(max_length=40)
    provider_id = models.BigIntegerField(null=True, blank=True)
    sequence = models.PositiveSmallIntegerField(default=0)  # order of the exchanges within one call
    method = models.CharField(max_length=8)
    url = models.TextField()
    request_headers = models.JSONField(default=dict)
    request_body = models.TextField(blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)  # None: no answer (timeout, dropped)
    response_headers = models.JSONField(default=dict)
    response_body = models.TextField(blank=True)
    error = models.CharField(max_length=60, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [models.Index(fields=["subject_type", "subject_id", "started_at"], name="archive_subject")]

    def __str__(self) -> str:
        return f"{self.plugin_key} {self.operation} {self.method} {self.status or self.error}"
