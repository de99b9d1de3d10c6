"""Risk API: rules (operator admins), decisions and the review queue (operator staff; finance releases and
rejects), the step-up answer (the customer), the customer's devices. Thin: the services decide."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.amounts import AmountField
from shared_apps.core.api_scopes import ADMIN, NO_API_KEY, api_key_scopes
from shared_apps.core.errors import NotFound
from shared_apps.core.pagination import page_of
from tenant_apps.accounts.permissions import IsOperatorAdmin, IsOperatorFinance, IsOperatorStaff
from tenant_apps.idempotency.decorators import idempotent

from . import devices, review, selectors, services, stepup
from .models import Action, Flow, Outcome, ReviewStatus, RuleType, Scope
from .request_signals import current_signals
from .serializers import (
    RiskDecisionBodySerializer,
    RiskDeviceBodySerializer,
    RiskDeviceListSerializer,
    RiskRuleBodySerializer,
    RiskRuleListSerializer,
    RiskStepUpResentSerializer,
    RiskStepUpVerifiedSerializer,
)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key", str, OpenApiParameter.HEADER, required=True,
    description="Unique per decision; a replay returns the first response with Idempotency-Replayed: true.")


class RiskRuleSerializer(serializers.Serializer):
    """A rule as written by an operator (amounts: decimal text in the tenant's currency)."""

    name = serializers.CharField(max_length=120)
    rule_type = serializers.ChoiceField(choices=RuleType.choices)
    flows = serializers.ListField(child=serializers.ChoiceField(choices=Flow.choices), max_length=10,
                                  required=False, help_text="Empty: every outflow.")
    product_type = serializers.CharField(max_length=16, required=False, allow_blank=True)
    scope = serializers.ChoiceField(choices=Scope.choices, required=False)
    window_seconds = serializers.IntegerField(min_value=0, max_value=services.MAX_WINDOW_SECONDS, required=False)
    threshold_count = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, allow_null=True)
    threshold_amount = AmountField(required=False, allow_null=True)
    new_recipients_only = serializers.BooleanField(required=False)
    action = serializers.ChoiceField(choices=Action.choices)
    priority = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False)
    is_active = serializers.BooleanField(required=False)
    notes = serializers.CharField(max_length=300, required=False, allow_blank=True)


class DecisionFilterSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    flow = serializers.ChoiceField(choices=Flow.choices, required=False)
    review = serializers.ChoiceField(choices=[c for c in ReviewStatus.choices if c[0]], required=False,
                                     help_text="pending: the review queue")
    q = serializers.CharField(max_length=100, required=False, help_text="email, phone, reference or subject id")
    rule = serializers.UUIDField(required=False)
    date_from = serializers.DateField(required=False)


class ReviewSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=200, required=False, allow_blank=True)


class StepUpAnswerSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12, required=False, allow_blank=True)
    pin = serializers.CharField(max_length=12, required=False, allow_blank=True)


class Pages(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100


@api_key_scopes(GET=ADMIN, POST=ADMIN)
class RulesView(APIView):
    """GET /api/risk/rules (staff); POST one (operator admin; audited)."""

    def get_permissions(self):
        return [IsOperatorAdmin()] if self.request.method == "POST" else [IsOperatorStaff()]

    @extend_schema(operation_id="risk_rules_list", responses=RiskRuleListSerializer)
    def get(self, request):
        return Response({"results": [selectors.rule_json(rule) for rule in selectors.rules_list()]})

    @extend_schema(request=RiskRuleSerializer, responses={201: RiskRuleBodySerializer})
    def post(self, request):
        body = RiskRuleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rule = services.rule_create(actor=request.user, data=dict(body.validated_data), request=request)
        return Response(selectors.rule_json(rule), status=status.HTTP_201_CREATED)


def _rule_or_404(public_id: uuid.UUID):
    rule = selectors.rule_get(public_id)
    if rule is None:
        raise NotFound(gettext("No such rule."), code="unknown_rule")
    return rule


@api_key_scopes(GET=ADMIN, PATCH=ADMIN, DELETE=ADMIN)
class RuleDetailView(APIView):
    """GET /api/risk/rules/<id>; PATCH (partial update) and DELETE: operator admins, audited."""

    def get_permissions(self):
        return [IsOperatorStaff()] if self.request.method == "GET" else [IsOperatorAdmin()]

    @extend_schema(responses=RiskRuleBodySerializer)
    def get(self, request, public_id: uuid.UUID):
        return Response(selectors.rule_json(_rule_or_404(public_id)))

    @extend_schema(request=RiskRuleSerializer(partial=True), responses=RiskRuleBodySerializer)
    def patch(self, request, public_id: uuid.UUID):
        rule = _rule_or_404(public_id)
        body = RiskRuleSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        rule = services.rule_update(actor=request.user, rule=rule, data=dict(body.validated_data), request=request)
        return Response(selectors.rule_json(rule))

    @extend_schema(responses={204: None})
    def delete(self, request, public_id: uuid.UUID):
        services.rule_delete(actor=request.user, rule=_rule_or_404(public_id), request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@api_key_scopes(GET=ADMIN)
class DecisionsView(APIView):
    """GET /api/risk/decisions?outcome=&flow=&review=pending&q=: every recorded decision, newest first."""

    permission_classes = [IsOperatorStaff]

    @extend_schema(operation_id="risk_decisions_list", parameters=[DecisionFilterSerializer],
                   responses=RiskDecisionBodySerializer(many=True))
    def get(self, request):
        filters = DecisionFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        data: dict[str, Any] = {k: (str(v) if k == "rule" else v) for k, v in filters.validated_data.items()}
        rows = selectors.decisions_search(**data)
        paginator = Pages()
        page = page_of(paginator, rows, request, self)
        return paginator.get_paginated_response([selectors.decision_json(row) for row in page])


@api_key_scopes(GET=ADMIN)
class DecisionDetailView(APIView):
    permission_classes = [IsOperatorStaff]

    @extend_schema(responses=RiskDecisionBodySerializer)
    def get(self, request, public_id: uuid.UUID):
        decision = selectors.decision_get(public_id)
        if decision is None:
            raise NotFound(gettext("No such decision."), code="unknown_decision")
        return Response(selectors.decision_json(decision))


def _review(request, public_id: uuid.UUID, *, release: bool) -> Response:
    body = ReviewSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    decision = review.review_decide(public_id=public_id, release=release, actor=request.user,
                                    note=body.validated_data.get("note", ""), request=request)
    return Response(selectors.decision_json(decision))


@api_key_scopes(POST=ADMIN)
class ReleaseView(APIView):
    """POST /api/risk/decisions/<id>/release: send a held movement on (operator finance; audited)."""

    permission_classes = [IsOperatorFinance]

    @extend_schema(request=ReviewSerializer, responses=RiskDecisionBodySerializer,
                   parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @idempotent
    def post(self, request, public_id: uuid.UUID):
        return _review(request, public_id, release=True)


@api_key_scopes(POST=ADMIN)
class RejectView(APIView):
    """POST /api/risk/decisions/<id>/reject: give a held movement's money back (operator finance; audited)."""

    permission_classes = [IsOperatorFinance]

    @extend_schema(request=ReviewSerializer, responses=RiskDecisionBodySerializer,
                   parameters=[IDEMPOTENCY_KEY_PARAMETER])
    @idempotent
    def post(self, request, public_id: uuid.UUID):
        return _review(request, public_id, release=False)


@api_key_scopes(POST=NO_API_KEY)
class StepUpVerifyView(APIView):
    """POST /api/risk/step-up/<id>/verify {"code"} or {"pin"}: then repeat the payment with ``X-Step-Up: <id>``."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=StepUpAnswerSerializer, responses=RiskStepUpVerifiedSerializer)
    def post(self, request, public_id: uuid.UUID):
        body = StepUpAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        secret = body.validated_data.get("code") or body.validated_data.get("pin") or ""
        challenge = stepup.step_up_verify(user=request.user, challenge_id=public_id, secret=secret, request=request)
        return Response({"challenge": str(challenge.public_id), "verified": True,
                         "then": f"Send the same request again with the header X-Step-Up: {challenge.public_id}",
                         "expires_at": challenge.expires_at})


@api_key_scopes(POST=NO_API_KEY)
class StepUpResendView(APIView):
    """POST /api/risk/step-up/<id>/resend: another SMS code for the same challenge (after a cooldown)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={202: RiskStepUpResentSerializer})
    def post(self, request, public_id: uuid.UUID):
        hints = stepup.step_up_resend(user=request.user, challenge_id=public_id)
        return Response({"challenge": str(public_id), **hints}, status=status.HTTP_202_ACCEPTED)


@api_key_scopes(GET=NO_API_KEY)
class DevicesView(APIView):
    """GET /api/auth/devices: the devices this account was used on (``current``: this one)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RiskDeviceListSerializer)
    def get(self, request):
        signals = current_signals()
        current = signals.device_hash or signals.token_device
        return Response({"results": [selectors.device_json(device, current=current)
                                     for device in devices.devices_of(user=request.user)[:50]]})


@api_key_scopes(POST=NO_API_KEY)
class DeviceSignOutView(APIView):
    """POST /api/auth/devices/<id>/sign-out: revoke that device's refresh tokens and web sessions."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses=RiskDeviceBodySerializer)
    def post(self, request, public_id: uuid.UUID):
        device = devices.device_sign_out(user=request.user, device_public_id=public_id, request=request)
        return Response(selectors.device_json(device))
