"""KYC API: users submit and see their level; operator support/admin review."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.api_scopes import ADMIN, NO_API_KEY, READ, api_key_scopes
from shared_apps.core.errors import NotFound
from shared_apps.core.parsers import StrictJSONParser
from tenant_apps.accounts.country import current_adapter
from tenant_apps.accounts.permissions import IsOperatorSupport, IsTenantUser

from . import selectors, services
from .models import KycSubmission
from .serializers import (
    KycDecisionSerializer,
    KycReviewSubmissionSerializer,
    KycStatusSerializer,
    KycSubmissionSerializer,
    KycSubmitSerializer,
)

DOCUMENT_FIELDS = ("id_document", "selfie", "proof_of_address")


def _money(value: int | None, adapter: Any) -> str | None:
    return None if value is None else adapter.from_minor(value)


def _tier_body(tier: Any, adapter: Any) -> dict:
    return {"level": tier.level, "name": str(tier.name), "single_limit": adapter.from_minor(tier.single_limit_minor),
            "daily_limit": adapter.from_minor(tier.daily_limit_minor),
            "max_balance": _money(tier.max_balance_minor, adapter), "requires": list(tier.requires)}


@api_key_scopes(GET=ADMIN, POST=NO_API_KEY)
class KycSubmissionsView(APIView):
    """POST: submit a number (+ documents) for the caller. GET: operator support/admin review queue."""

    parser_classes = [MultiPartParser, FormParser, StrictJSONParser]  # documents: multipart

    def get_permissions(self):
        return [IsOperatorSupport()] if self.request.method == "GET" else [IsTenantUser()]

    @extend_schema(request={"multipart/form-data": KycSubmitSerializer, "application/json": KycSubmitSerializer},
                   responses={201: KycSubmissionSerializer, 400: OpenApiResponse(description="Validation error")},
                   summary="Submit an identity number (and documents) for KYC")
    def post(self, request: Any) -> Response:
        serializer = KycSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        documents = [services.UploadedDocument(kind=field, file=data[field]) for field in DOCUMENT_FIELDS
                     if data.get(field)]
        submission = services.kyc_submit(user=request.user, scheme=data["scheme"], number=data["number"],
                                         documents=documents, request=request)
        return Response(KycSubmissionSerializer(submission).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: KycReviewSubmissionSerializer(many=True)},
                   summary="Review queue (operator support/admin); ?status=pending")
    def get(self, request: Any) -> Response:
        submissions = selectors.kyc_submissions(status=request.query_params.get("status", ""))
        return Response(KycReviewSubmissionSerializer(submissions[:200], many=True).data)


@api_key_scopes(GET=READ)
class KycStatusView(APIView):
    permission_classes = [IsTenantUser]

    @extend_schema(responses={200: KycStatusSerializer}, summary="My KYC level, limits and submissions")
    def get(self, request: Any) -> Response:
        adapter = current_adapter()
        tier = selectors.kyc_current_tier(user=request.user)
        room = selectors.kyc_balance_room(user=request.user, currency=adapter.currency)
        return Response(KycStatusSerializer({
            "currency": adapter.currency,
            "tier": _tier_body(tier, adapter) if tier else None,
            "satisfied": sorted(selectors.kyc_satisfied_requirements(user=request.user)),
            "spent_today": adapter.from_minor(selectors.kyc_spent_today(user=request.user,
                                                                        currency=adapter.currency)),
            # The wallet's cap at this level (balance + money on hold), what it holds and what still fits.
            "max_balance": _money(room.cap, adapter),
            "balance_held": adapter.from_minor(room.holdings),
            "balance_headroom": _money(room.headroom, adapter),
            "tiers": [_tier_body(item, adapter) for item in adapter.kyc_tiers],
            "schemes": [{"code": s.code, "label": str(s.label), "example": s.example} for s in adapter.kyc_schemes],
            "submissions": selectors.kyc_submissions(user=request.user),
        }).data)


@api_key_scopes(POST=ADMIN)
class KycDecisionView(APIView):
    permission_classes = [IsOperatorSupport]
    approve = True

    @extend_schema(request=KycDecisionSerializer, responses={200: KycReviewSubmissionSerializer})
    def post(self, request: Any, public_id: str) -> Response:
        serializer = KycDecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        submission = KycSubmission.objects.filter(public_id=public_id).first()
        if submission is None:
            raise NotFound(gettext("No such KYC submission."))
        submission = services.kyc_decide(reviewer=request.user, submission=submission, approve=self.approve,
                                         note=serializer.validated_data["note"], request=request)
        return Response(KycReviewSubmissionSerializer(submission).data)


@api_key_scopes(POST=ADMIN)
class KycRejectView(KycDecisionView):
    approve = False


