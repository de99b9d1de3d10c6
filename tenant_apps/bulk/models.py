"""Bulk top-ups: a CSV of numbers an agent or a reseller tops up in one go.

A :class:`BulkBatch` is one uploaded file (one per user and file content: the same file twice is the
same batch); each line is a :class:`BulkRow`, validated and priced at upload (the preview), then, once
confirmed, turned into an order by the ONE purchase service (``orders.services.purchase_create``, the
API's), each with its own result. Money never moves here: the orders move it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class BatchStatus(models.TextChoices):
    PREVIEW = "preview", _("Waiting for confirmation")
    PROCESSING = "processing", _("Placing the orders")
    # The tenant was suspended: no new order is placed (orders already placed settle, requery and expire as
    # usual); the sweeper resumes the batch once the tenant is reactivated.
    PAUSED = "paused", _("Paused: the service is suspended")
    COMPLETED = "completed", _("Every row processed")


class RowStatus(models.TextChoices):
    INVALID = "invalid", _("Not valid")  # refused at the preview: never bought
    READY = "ready", _("Ready")  # valid; an order is placed for it once the batch is confirmed
    ORDERED = "ordered", _("Order placed")  # its order follows the usual path (processing -> delivered/refunded)
    FAILED = "failed", _("Refused")  # the purchase service refused it when its turn came (funds, limits...)


class BulkBatch(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bulk_batches")
    file_sha256 = models.CharField(max_length=64)
    file_name = models.CharField(max_length=200, blank=True)
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=12, choices=BatchStatus.choices, default=BatchStatus.PREVIEW)
    row_count = models.PositiveIntegerField(default=0)
    valid_count = models.PositiveIntegerField(default=0)
    # Totals of the valid rows, as priced at the preview and again (current prices) at the confirmation.
    total_face_minor = models.BigIntegerField(default=0)
    total_price_minor = models.BigIntegerField(default=0)
    # What the rows cost this tenant (a reseller brand: drawn from its float at the parent operation).
    total_cost_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Touched by every processed row: a batch still processing whose heartbeat is old lost its worker
    # (the sweeper enqueues it again; rows are ordered once whatever runs them).
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    enqueue_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # Idempotent per file: the same content uploaded again by the same user is the same batch.
            models.UniqueConstraint(fields=["user", "file_sha256"], name="bulk_batch_one_per_file"),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="bulk_batch_status_beat")]

    def __str__(self) -> str:
        return f"bulk {self.public_id.hex[:10]} {self.status} ({self.valid_count}/{self.row_count})"


class BulkRow(models.Model):
    batch = models.ForeignKey(BulkBatch, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()  # the line of the file (the header is line 1 when there is one)
    # What the file said (bounded, for the results file; never re-parsed).
    raw_number = models.CharField(max_length=40, blank=True)
    raw_product = models.CharField(max_length=40, blank=True)
    raw_amount = models.CharField(max_length=40, blank=True)
    recipient_phone = models.CharField(max_length=20, blank=True)  # E.164 once valid
    network = models.CharField(max_length=20, blank=True)  # the country adapter's key
    product_id = models.BigIntegerField(null=True, blank=True)  # shared_apps.catalog.Product
    product_name = models.CharField(max_length=200, blank=True)
    amount_minor = models.BigIntegerField(null=True, blank=True)  # open amounts: the face value asked for
    face_value_minor = models.BigIntegerField(null=True, blank=True)
    price_minor = models.BigIntegerField(null=True, blank=True)
    cost_minor = models.BigIntegerField(null=True, blank=True)  # this tenant's cost (quote.tenant_cost_minor)
    status = models.CharField(max_length=8, choices=RowStatus.choices)
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=200, blank=True)
    order = models.OneToOneField("orders.Order", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="bulk_row")
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch_id", "line"]
        constraints = [models.UniqueConstraint(fields=["batch", "line"], name="bulk_row_unique_line")]
        indexes = [models.Index(fields=["batch", "status", "line"], name="bulk_row_todo")]

    def __str__(self) -> str:
        return f"bulk row {self.line} {self.status}"
