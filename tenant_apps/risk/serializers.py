"""Response bodies (OpenAPI) of the risk views: what ``selectors.rule_json``/``decision_json``/``device_json``
and the step-up views build, field for field (amounts: decimal strings in the row's currency)."""

from __future__ import annotations

from rest_framework import serializers

from shared_apps.core.amounts import MoneyField


class RiskRuleBodySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    rule_type = serializers.CharField()
    flows = serializers.ListField(child=serializers.CharField(), help_text="Empty: every outflow.")
    product_type = serializers.CharField(allow_blank=True)
    scope = serializers.CharField()
    window_seconds = serializers.IntegerField()
    threshold_count = serializers.IntegerField(allow_null=True)
    threshold_amount = MoneyField(allow_null=True)
    currency = serializers.CharField(allow_null=True)
    new_recipients_only = serializers.BooleanField()
    action = serializers.CharField()
    priority = serializers.IntegerField()
    is_active = serializers.BooleanField()
    notes = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class RiskRuleListSerializer(serializers.Serializer):
    results = RiskRuleBodySerializer(many=True)


class RiskDecisionSubjectSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField(allow_blank=True)


class RiskDecisionUserSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.CharField()
    phone = serializers.CharField(allow_null=True, allow_blank=True)


class RiskDecisionReviewSerializer(serializers.Serializer):
    status = serializers.CharField()
    by = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)
    note = serializers.CharField(allow_blank=True)


class RiskDecisionBodySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    flow = serializers.CharField()
    outcome = serializers.CharField()
    rule = serializers.CharField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)
    stepped_up = serializers.CharField(allow_null=True, help_text="otp or pin: the step-up passed")
    amount = MoneyField()
    currency = serializers.CharField()
    product_type = serializers.CharField(allow_null=True)
    recipient = serializers.CharField(allow_null=True)
    new_recipient = serializers.BooleanField()
    channel = serializers.CharField()
    ip = serializers.CharField(allow_null=True)
    device = serializers.CharField(allow_null=True)
    subject = RiskDecisionSubjectSerializer(allow_null=True)
    user = RiskDecisionUserSerializer()
    review = RiskDecisionReviewSerializer(allow_null=True, help_text="null: never queued for review")


class RiskStepUpVerifiedSerializer(serializers.Serializer):
    challenge = serializers.UUIDField()
    verified = serializers.BooleanField()
    then = serializers.CharField()
    expires_at = serializers.DateTimeField()


class RiskStepUpResentSerializer(serializers.Serializer):
    challenge = serializers.UUIDField()
    sent_to = serializers.CharField(required=False, help_text="the masked phone the code went to")


class RiskDeviceBodySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    # DRF's serializer metaclass takes declared fields off the class: no clash with Field.label (stubs can't tell).
    label = serializers.CharField()  # type: ignore[assignment]
    channel = serializers.CharField()
    first_seen_at = serializers.DateTimeField()
    last_seen_at = serializers.DateTimeField()
    last_ip = serializers.CharField(allow_null=True)
    trusted = serializers.BooleanField()
    signed_out_at = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField()


class RiskDeviceListSerializer(serializers.Serializer):
    results = RiskDeviceBodySerializer(many=True)
