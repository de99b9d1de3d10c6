"""Bulk top-up API: upload (preview), read, confirm once, results as CSV. Thin: everything is in services."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.api_scopes import PURCHASE, READ, api_key_scopes
from shared_apps.core.errors import ApiError, NotFound
from shared_apps.core.parsers import StrictJSONParser
from tenant_apps.accounts.permissions import IsOperatorAdmin, PhoneVerified
from tenant_apps.idempotency.decorators import idempotent
from tenant_apps.ledger.currency import to_decimal_string
from tenant_apps.orders.serializers import PLAIN_STATUS

from . import services
from .models import BulkBatch
from .permissions import CanBulkTopUp
from .serializers import BulkBatchSerializer, BulkBatchSummarySerializer

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
    description="Unique per confirmation; a replay returns the first response with Idempotency-Replayed: true.")
# A multipart body is the file plus its boundaries: a little more than the file may be.
MULTIPART_OVERHEAD_BYTES = 16 * 1024


def _money(value: int | None, currency: str) -> str | None:
    return to_decimal_string(value, currency) if value is not None else None


def row_json(row, currency: str) -> dict:
    order = row.order if row.order_id else None
    return {
        "line": row.line, "number": row.raw_number, "recipient_phone": row.recipient_phone or None,
        "network": row.network or None, "product_id": row.product_id, "product_name": row.product_name or None,
        "amount": _money(row.amount_minor if row.amount_minor is not None else row.face_value_minor, currency),
        "price": _money(row.price_minor, currency), "status": row.status,
        "error": {"code": row.error_code, "message": row.error_message} if row.error_code else None,
        "order": {"id": str(order.public_id), "status": PLAIN_STATUS[order.status]} if order else None,
    }


def batch_json(preview: services.Preview, *, request, rows: bool = True) -> dict:
    batch, funds, currency = preview.batch, preview.funds, preview.batch.currency
    counts: dict[str, int] = {}
    for row in preview.rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    reseller_admin = IsOperatorAdmin().has_permission(request, None)
    float_check: dict[str, Any] | None = None
    if funds.float_needed_minor is not None:
        float_check = {"enough": funds.enough_float}
        if reseller_admin:  # the reseller's own business figures: its admins, not its agents
            float_check.update(needed=_money(funds.float_needed_minor, currency),
                               available=_money(funds.float_minor, currency))
    body = {
        "id": str(batch.public_id), "status": batch.status, "file_name": batch.file_name,
        "created_at": batch.created_at, "confirmed_at": batch.confirmed_at, "completed_at": batch.completed_at,
        "currency": currency,
        "counts": {"rows": len(preview.rows), "valid": len(preview.rows) - counts.get("invalid", 0),
                   "invalid": counts.get("invalid", 0), "waiting": counts.get("ready", 0),
                   "ordered": counts.get("ordered", 0), "refused": counts.get("failed", 0)},
        "total_face_value": _money(batch.total_face_minor, currency),
        "total_price": _money(batch.total_price_minor, currency),
        "pricing_version": preview.pricing_version,
        "funds": {"wallet": {"needed": _money(funds.needed_minor, currency),
                             "available": _money(funds.wallet_minor, currency), "enough": funds.enough_wallet},
                  "float": float_check, "enough": funds.enough},
        "by_network": [{"network": group["network"], "name": group["name"], "rows": group["rows"],
                        "price": _money(group["price_minor"], currency)} for group in preview.by_network],
        "results_csv": f"/api/bulk-topups/{batch.public_id}/results.csv",
    }
    if rows:
        body["rows"] = [row_json(row, currency) for row in preview.rows]
    return body


def batch_of(user, public_id) -> BulkBatch:
    batch = BulkBatch.objects.select_related("user").filter(user=user, public_id=public_id).first()
    if batch is None:
        raise NotFound()
    return batch


class BulkConfirmSerializer(serializers.Serializer):
    pricing_version = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                          help_text="The preview's pricing_version: refused (409 prices_changed) "
                                                    "when today's pricing differs.")


PERMISSIONS = [IsAuthenticated, PhoneVerified, CanBulkTopUp]


@api_key_scopes(GET=READ, POST=PURCHASE)
class BulkTopupsView(APIView):
    """POST /api/bulk-topups (multipart ``file``): the preview (201; the same file again: 200, the same batch).
    GET: the caller's batches, newest first."""

    permission_classes = PERMISSIONS
    # The file comes multipart; JSON is taken too so a body without a file gets the usual 400 (and an API key
    # without the scope its 403) rather than a 415 from the request guard.
    parser_classes = [MultiPartParser, StrictJSONParser]

    @extend_schema(operation_id="bulk_topups_list", responses=BulkBatchSummarySerializer(many=True))
    def get(self, request):
        batches = BulkBatch.objects.filter(user=request.user)[:50]
        return Response([{"id": str(b.public_id), "status": b.status, "file_name": b.file_name,
                          "created_at": b.created_at, "rows": b.row_count, "valid": b.valid_count,
                          "total_price": _money(b.total_price_minor, b.currency), "currency": b.currency}
                         for b in batches])

    @extend_schema(request={"multipart/form-data": {"type": "object", "properties": {
        "file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
        responses={200: BulkBatchSerializer, 201: BulkBatchSerializer})
    def post(self, request):
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        if length > settings.BULK_TOPUP_MAX_FILE_BYTES + MULTIPART_OVERHEAD_BYTES:
            raise services.FileTooLarge(fields={"file": [
                gettext("At most %(n)d KiB.") % {"n": settings.BULK_TOPUP_MAX_FILE_BYTES // 1024}]})
        upload = request.FILES.get("file")
        if upload is None:
            raise ApiError(gettext("Send the CSV file in the “file” field."), code="validation_error",
                           fields={"file": [gettext("Required.")]})
        if upload.size > settings.BULK_TOPUP_MAX_FILE_BYTES:
            raise services.FileTooLarge(fields={"file": [
                gettext("At most %(n)d KiB.") % {"n": settings.BULK_TOPUP_MAX_FILE_BYTES // 1024}]})
        batch, created = services.bulk_upload(user=request.user, file_name=upload.name or "",
                                              content=upload.read(settings.BULK_TOPUP_MAX_FILE_BYTES + 1))
        body = batch_json(services.bulk_preview(batch=batch), request=request)
        body["duplicate_file"] = not created
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
                        headers={"Location": f"/api/bulk-topups/{batch.public_id}"})


@extend_schema(responses=BulkBatchSerializer)
@api_key_scopes(GET=READ)
class BulkTopupDetailView(APIView):
    """GET /api/bulk-topups/<id>: the rows and totals (re-priced at today's prices until confirmed)."""

    permission_classes = PERMISSIONS

    def get(self, request, public_id: uuid.UUID):
        return Response(batch_json(services.bulk_preview(batch=batch_of(request.user, public_id)), request=request))


@api_key_scopes(POST=PURCHASE)
class BulkTopupConfirmView(APIView):
    """POST /api/bulk-topups/<id>/confirm {pricing_version?}: once; the money is checked for the whole batch,
    then every valid row becomes an order (202; follow progress with GET)."""

    permission_classes = PERMISSIONS

    @extend_schema(request=BulkConfirmSerializer, parameters=[IDEMPOTENCY_KEY], responses={202: BulkBatchSerializer})
    @idempotent
    def post(self, request, public_id: uuid.UUID):
        body = BulkConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = services.bulk_confirm(user=request.user, batch=batch_of(request.user, public_id),
                                      expected_pricing_version=body.validated_data.get("pricing_version") or None)
        return Response(batch_json(services.bulk_preview(batch=batch), request=request, rows=False),
                        status=status.HTTP_202_ACCEPTED)


class CsvDownloadRenderer(BaseRenderer):
    """Lets ``Accept: text/csv`` through content negotiation; the view answers the CSV itself (errors are
    turned into the JSON error shape by the request guard)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return JSONRenderer().render(data)


@extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR})
@api_key_scopes(GET=READ)
class BulkTopupResultsView(APIView):
    """GET /api/bulk-topups/<id>/results.csv: every line with its result (spreadsheet-safe cells)."""

    permission_classes = PERMISSIONS
    renderer_classes = [JSONRenderer, CsvDownloadRenderer]

    def get(self, request, public_id: uuid.UUID):
        return results_response(batch_of(request.user, public_id))


def results_response(batch: BulkBatch) -> HttpResponse:
    response = HttpResponse(services.bulk_results_csv(batch=batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="bulk-{batch.public_id.hex[:10]}-results.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
