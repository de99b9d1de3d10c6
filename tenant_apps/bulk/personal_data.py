"""Bulk top-ups: the uploaded recipients are the person's (a reseller's customers) and so erased with it."""

from tenant_apps.privacy.registry import BLANK, MASK, register

from .models import BulkBatch, BulkRow

register(BulkBatch, owners=("user",), erase={"file_name": BLANK})
register(BulkRow, owners=("batch__user",), erase={"raw_number": MASK, "recipient_phone": MASK})
