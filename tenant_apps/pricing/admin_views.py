"""Operator/reseller admin: price rules, commission tiers, pricing settings, and a quote preview."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.catalog.models import ProductType
from shared_apps.core.amounts import AmountField, parse_amount
from shared_apps.core.api_scopes import ADMIN, READ, api_key_scopes
from shared_apps.core.errors import ApiError, NotFound
from tenant_apps.accounts.permissions import IsOperatorAdmin, IsOperatorStaff
from tenant_apps.ledger.currency import tenant_currency, to_decimal_string

from .models import CommissionTier, PriceRule, PricingSettings, RuleMode
from .quotes import quote_price
from .selectors import quotable_product
from .services import price_rule_create, price_rule_deactivate, pricing_settings_update
from .versions import pricing_changed

BIGINT_MAX = 2**63 - 1  # the ids are bigint columns: a larger number is a 400, never a database error


class RuleSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=BIGINT_MAX)
    product_type = serializers.ChoiceField(choices=ProductType.values, required=False, allow_blank=True)
    provider_id = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=BIGINT_MAX)
    mode = serializers.ChoiceField(choices=RuleMode.values)
    percent_bp = serializers.IntegerField(required=False, min_value=-10_000, max_value=100_000)
    amount = AmountField(required=False, allow_negative=True, help_text="fixed: decimal string, may be negative")
    priority = serializers.IntegerField(required=False, default=0, min_value=-2**31, max_value=2**31 - 1)

    def validate(self, data):
        if data["mode"] == RuleMode.PERCENT and "percent_bp" not in data:
            raise serializers.ValidationError({"percent_bp": ["Required for a percent rule."]})
        if data["mode"] == RuleMode.FIXED and "amount" not in data:
            raise serializers.ValidationError({"amount": ["Required for a fixed rule."]})
        return data


class RuleBodySerializer(serializers.Serializer):
    """What :func:`rule_body` returns (OpenAPI)."""

    id = serializers.IntegerField()
    scope = serializers.CharField()
    product_id = serializers.IntegerField(allow_null=True)
    product_type = serializers.CharField(allow_blank=True)
    provider_id = serializers.IntegerField(allow_null=True)
    mode = serializers.ChoiceField(choices=RuleMode.values)
    priority = serializers.IntegerField()
    percent_bp = serializers.IntegerField(allow_null=True)
    amount = serializers.CharField(allow_null=True, help_text="fixed rules: decimal string in the tenant currency")


def rule_body(rule: PriceRule, currency: str) -> dict:
    return {"id": rule.pk, "scope": rule.scope, "product_id": rule.product_id, "product_type": rule.product_type,
            "provider_id": rule.provider_id, "mode": rule.mode, "priority": rule.priority,
            "percent_bp": rule.value if rule.mode == RuleMode.PERCENT else None,
            "amount": to_decimal_string(rule.value, currency) if rule.mode == RuleMode.FIXED else None}


@api_key_scopes(GET=READ, POST=ADMIN)
class PriceRulesView(APIView):
    permission_classes = [IsOperatorAdmin]

    @extend_schema(responses=RuleBodySerializer(many=True))
    def get(self, request):
        currency = tenant_currency().code
        return Response([rule_body(rule, currency) for rule in PriceRule.objects.filter(is_active=True)
                         .order_by("-priority", "id")])

    @extend_schema(request=RuleSerializer, responses={201: RuleBodySerializer})
    def post(self, request):
        body = RuleSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        currency = tenant_currency().code
        rule = price_rule_create(mode=data["mode"], percent_bp=data.get("percent_bp"), amount=data.get("amount"),
                                 product_id=data.get("product_id"), product_type=data.get("product_type", ""),
                                 provider_id=data.get("provider_id"), priority=data.get("priority", 0))
        return Response(rule_body(rule, currency), status=status.HTTP_201_CREATED)


@extend_schema(request=None, responses={204: None})
@api_key_scopes(DELETE=ADMIN)
class PriceRuleDetailView(APIView):
    permission_classes = [IsOperatorAdmin]

    def delete(self, request, rule_id: int):
        price_rule_deactivate(rule_id=rule_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TierSerializer(serializers.Serializer):
    level = serializers.IntegerField(min_value=1, max_value=10)
    rate_bp = serializers.IntegerField(min_value=0, max_value=10_000)


@extend_schema(responses=TierSerializer(many=True))
@api_key_scopes(GET=READ, PUT=ADMIN)
class CommissionTiersView(APIView):
    """GET the tiers; PUT replaces them all: ``[{"level": 1, "rate_bp": 300}, ...]``."""

    permission_classes = [IsOperatorAdmin]

    def get(self, request):
        return Response([{"level": t.level, "rate_bp": t.rate_bp} for t in CommissionTier.objects.all()])

    @extend_schema(request=TierSerializer(many=True), responses=TierSerializer(many=True))
    def put(self, request):
        body = TierSerializer(data=request.data, many=True)
        body.is_valid(raise_exception=True)
        levels = [row["level"] for row in body.validated_data]
        if len(set(levels)) != len(levels):
            raise ApiError(gettext("One rate per level."), code="validation_error",
                           fields={"level": [gettext("Duplicate level.")]})
        CommissionTier.objects.all().delete()
        CommissionTier.objects.bulk_create([CommissionTier(**row) for row in body.validated_data])
        pricing_changed()  # bulk_create() sends no signal
        return self.get(request)


class SettingsSerializer(serializers.Serializer):
    margin_bp = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
    allow_below_cost = serializers.BooleanField(required=False)


@extend_schema(responses=SettingsSerializer)
@api_key_scopes(GET=READ, PATCH=ADMIN)
class PricingSettingsView(APIView):
    permission_classes = [IsOperatorAdmin]

    def get(self, request):
        row, _ = PricingSettings.objects.get_or_create(singleton=True)
        return Response({"margin_bp": row.margin_bp, "allow_below_cost": row.allow_below_cost})

    @extend_schema(request=SettingsSerializer, responses=SettingsSerializer)
    def patch(self, request):
        body = SettingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        pricing_settings_update(margin_bp=body.validated_data.get("margin_bp"),
                                allow_below_cost=body.validated_data.get("allow_below_cost"))
        return self.get(request)


class PricingQuoteLineSerializer(serializers.Serializer):
    account_kind = serializers.CharField()
    amount_minor = serializers.IntegerField()
    party = serializers.CharField()
    level = serializers.IntegerField()


class PricingQuoteTaxSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    account_kind = serializers.CharField()
    rate_bps = serializers.IntegerField()
    base_minor = serializers.IntegerField()
    amount_minor = serializers.IntegerField()
    included = serializers.BooleanField()


class PricingQuoteBreakdownSerializer(serializers.Serializer):
    """``PriceQuote.breakdown()`` (``dataclasses.asdict``): amounts in minor units, as integers."""

    product_id = serializers.IntegerField()
    currency = serializers.CharField()
    face_value_minor = serializers.IntegerField()
    price_minor = serializers.IntegerField()
    cost_minor = serializers.IntegerField()
    lines = PricingQuoteLineSerializer(many=True)
    tenant_cost_minor = serializers.IntegerField(allow_null=True)
    tenant_kind = serializers.CharField(allow_blank=True)
    rules = serializers.DictField(child=serializers.CharField(), help_text="party -> the markup rule applied")
    taxes = PricingQuoteTaxSerializer(many=True)


@extend_schema(request=OpenApiTypes.OBJECT, responses=PricingQuoteBreakdownSerializer)
@api_key_scopes(GET=READ)
class QuotePreviewView(APIView):
    """GET /api/pricing/quote?product_id=&amount=: the full breakdown (staff only: it shows costs)."""

    permission_classes = [IsAuthenticated, IsOperatorStaff]

    def get(self, request):
        product = quotable_product(request.query_params.get("product_id"))
        if product is None:
            raise NotFound(gettext("No such product."), code="unknown_product")
        amount = request.query_params.get("amount")
        amount_minor = None
        if amount:
            amount_minor = parse_amount(amount, currency=product.currency)
        return Response(quote_price(product=product, amount_minor=amount_minor).breakdown())
