"""Receipt API: the PDF of one's own receipt, and its shareable link (made once, revocable)."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.api_scopes import PURCHASE, READ, api_key_scopes
from shared_apps.core.branding import brand_for
from shared_apps.core.errors import NotFound

from . import selectors, services
from .data import receipt_for
from .models import ReceiptKind
from .pdf import render_receipt_pdf


def _kind(kind: str) -> str:
    if kind not in ReceiptKind.values:
        raise NotFound()
    return kind


def pdf_response(request, kind: str, obj, *, shared: bool, filename: str) -> HttpResponse:
    receipt = receipt_for(kind, obj)
    response = HttpResponse(render_receipt_pdf(receipt, brand_for(request.tenant), shared=shared),
                            content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}-{receipt.reference}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def share_body(request, link) -> dict:
    base = f"{request.scheme}://{request.get_host()}"
    return {"url": f"{base}/r/{link.token}", "pdf_url": f"{base}/r/{link.token}/pdf",
            "created_at": link.created_at, "expires_at": link.expires_at, "views": link.views}


class ReceiptShareBodySerializer(serializers.Serializer):
    url = serializers.CharField()
    pdf_url = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    views = serializers.IntegerField()


class PdfRenderer(BaseRenderer):
    """Lets ``Accept: application/pdf`` through negotiation; the view answers the PDF itself."""

    media_type = "application/pdf"
    format = "pdf"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return JSONRenderer().render(data)


@extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
@api_key_scopes(GET=READ)
class ReceiptPdfView(APIView):
    """GET /api/receipts/<order|transfer|funding>/<id>.pdf: the caller's own receipt as a PDF (their language)."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [JSONRenderer, PdfRenderer]

    def get(self, request, kind: str, public_id: uuid.UUID):
        obj = services.receipt_object(kind=_kind(kind), public_id=public_id, owner=request.user)
        if obj is None:
            raise NotFound()
        return pdf_response(request, kind, obj, shared=False, filename="receipt")


@extend_schema(request=None, responses=ReceiptShareBodySerializer)
@api_key_scopes(GET=READ, POST=PURCHASE, DELETE=PURCHASE)
class ReceiptShareView(APIView):
    """The receipt's link that opens without logging in (recipient number masked).

    GET: the live link (404 when not shared, turned off or expired); POST: share (201 the first time and again once
    the link expired, then 200 with the same link); DELETE: turn the link off for good. ``expires_at``: when the
    link stops opening (``RECEIPT_LINK_TTL_DAYS`` after it was made)."""

    permission_classes = [IsAuthenticated]

    def get(self, request, kind: str, public_id: uuid.UUID):
        obj = services.receipt_object(kind=_kind(kind), public_id=public_id, owner=request.user)
        link = obj and selectors.live_link(kind=kind, public_id=obj.public_id)
        if not link:
            raise NotFound()
        return Response(share_body(request, link))

    def post(self, request, kind: str, public_id: uuid.UUID):
        link, made = services.receipt_share(owner=request.user, kind=_kind(kind), public_id=public_id)
        return Response(share_body(request, link), status=status.HTTP_201_CREATED if made else status.HTTP_200_OK)

    @extend_schema(responses={204: None})
    def delete(self, request, kind: str, public_id: uuid.UUID):
        if not services.receipt_unshare(owner=request.user, kind=_kind(kind), public_id=public_id):
            raise NotFound()
        return Response(status=status.HTTP_204_NO_CONTENT)
