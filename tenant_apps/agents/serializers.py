from __future__ import annotations

from rest_framework import serializers

from shared_apps.core.amounts import AmountField, MoneyField
from tenants.models import SMS_SENDER_ID_RE

from .models import ApiKeyScope, ResellerApplication


class ApplicationSubmitSerializer(serializers.Serializer):
    company_name = serializers.CharField(max_length=120)
    registration_number = serializers.CharField(max_length=60)
    company_address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    desired_subdomain = serializers.CharField(max_length=63)
    contact_name = serializers.CharField(max_length=120)
    contact_email = serializers.EmailField()
    contact_phone = serializers.CharField(max_length=20)
    primary_colour = serializers.RegexField(r"^#[0-9A-Fa-f]{6}$", required=False)
    accent_colour = serializers.RegexField(r"^#[0-9A-Fa-f]{6}$", required=False)
    logo_url = serializers.URLField(required=False, allow_blank=True)
    default_language = serializers.ChoiceField(choices=["en", "fr", "pt", "ar"], required=False)
    sms_sender_id = serializers.RegexField(SMS_SENDER_ID_RE, max_length=11, required=False, allow_blank=True,
                                           help_text="the sender name of the brand's texts (3-11 letters, digits, "
                                                     "spaces), to register with the SMS gateway")
    registration_certificate = serializers.FileField(required=False)
    id_document = serializers.FileField(required=False)


class ApplicationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    documents = serializers.SerializerMethodField()

    class Meta:
        model = ResellerApplication
        fields = ["id", "company_name", "registration_number", "company_address", "desired_subdomain",
                  "contact_name", "contact_email", "contact_phone", "primary_colour", "accent_colour", "logo_url",
                  "sms_sender_id", "status", "decided_at", "decision_note", "domain", "provisioning_seconds",
                  "created_at", "documents"]

    def get_documents(self, application) -> list[dict]:
        if not self.context.get("with_document_links"):
            return [{"kind": d.kind} for d in application.documents.all()]
        return [{"kind": d.kind, "url": d.file.url} for d in application.documents.all()]


class DecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class AmountSerializer(serializers.Serializer):
    amount = AmountField()


class FloatGatewayFundSerializer(AmountSerializer):
    gateway = serializers.CharField(max_length=40)


class InviteSerializer(serializers.Serializer):
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)


class AcceptSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=200)
    password = serializers.CharField(max_length=128)
    email = serializers.EmailField(required=False, allow_blank=True)


class AgentLimitsSerializer(serializers.Serializer):
    max_transactions_per_hour = serializers.IntegerField(min_value=1, required=False, allow_null=True)
    max_amount_per_day = AmountField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    # Move the agent and its team under another agent of this reseller (null: make it a top-level agent).
    parent = serializers.UUIDField(required=False, allow_null=True)  # type: ignore[assignment]


def agent_body(agent) -> dict:
    return {"id": str(agent.public_id), "email": agent.user.email, "phone": agent.user.phone,
            "parent": str(agent.parent.public_id) if agent.parent_id else None, "depth": agent.depth,
            "is_active": agent.is_active, "max_transactions_per_hour": agent.max_transactions_per_hour,
            "max_amount_per_day_minor": agent.max_amount_per_day_minor}


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=80)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiKeyScope.values), required=False)
    agent = serializers.UUIDField(required=False, help_text="Requests act as this agent (default: you).")


def api_key_body(key, secret: str | None = None) -> dict:
    body = {"key_id": key.key_id, "name": key.name, "scopes": key.scopes, "user": str(key.user.public_id),
            "created_at": key.created_at, "rotated_at": key.rotated_at, "revoked_at": key.revoked_at,
            "last_used_at": key.last_used_at}
    if secret is not None:
        body["secret"] = secret  # shown once
    return body


class WebhookCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(child=serializers.CharField(max_length=40), required=False)


def delivery_body(delivery) -> dict:
    return {"id": str(delivery.public_id), "event": delivery.event, "status": delivery.status,
            "attempts": delivery.attempts, "last_status_code": delivery.last_status_code,
            "last_error": delivery.last_error, "next_attempt_at": delivery.next_attempt_at,
            "delivered_at": delivery.delivered_at, "created_at": delivery.created_at,
            "log": [{"number": a.number, "status_code": a.status_code, "error": a.error,
                     "duration_ms": a.duration_ms, "at": a.attempted_at} for a in delivery.attempt_log.all()]}


# --- Response bodies (OpenAPI): what the dict-building views above return, field for field ------------------

class AgentBodySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    phone = serializers.CharField(allow_null=True)
    # DRF's serializer metaclass takes declared fields off the class: no clash with Field.parent (stubs can't tell).
    parent = serializers.UUIDField(allow_null=True)  # type: ignore[assignment]
    depth = serializers.IntegerField()
    is_active = serializers.BooleanField()
    max_transactions_per_hour = serializers.IntegerField(allow_null=True)
    max_amount_per_day_minor = serializers.IntegerField(allow_null=True)


class ApiKeyBodySerializer(serializers.Serializer):
    key_id = serializers.CharField()
    name = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    user = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    rotated_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    secret = serializers.CharField(required=False, help_text="Shown once, when issued or rotated.")


class WebhookBodySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    is_active = serializers.BooleanField(required=False)
    secret = serializers.CharField(required=False, help_text="Shown once, when created.")


class DeliveryAttemptBodySerializer(serializers.Serializer):
    number = serializers.IntegerField()
    status_code = serializers.IntegerField(allow_null=True)
    error = serializers.CharField(allow_blank=True, allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    at = serializers.DateTimeField()


class DeliveryBodySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    event = serializers.CharField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True, allow_null=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    log = DeliveryAttemptBodySerializer(many=True)


class ResellerFloatBodySerializer(serializers.Serializer):
    schema = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    currency = serializers.CharField()
    float = MoneyField(allow_null=True, help_text="Decimal string in the currency.")
    mirror_agrees = serializers.BooleanField()


class CommissionRowBodySerializer(serializers.Serializer):
    agent = serializers.UUIDField()
    email = serializers.EmailField()
    level = serializers.IntegerField()
    currency = serializers.CharField()
    sales = serializers.IntegerField()
    earned_minor = serializers.IntegerField()
    clawed_back_minor = serializers.IntegerField()
    net_minor = serializers.IntegerField()
    earned = MoneyField(allow_null=True)
    clawed_back = MoneyField(allow_null=True)
    net = MoneyField(allow_null=True)


class InvitationBodySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    expires_at = serializers.DateTimeField()
    # DRF's serializer metaclass takes declared fields off the class: no clash with Field.parent (stubs can't tell).
    parent = serializers.UUIDField(allow_null=True)  # type: ignore[assignment]


class FloatFundBodySerializer(serializers.Serializer):
    reseller = serializers.CharField()
    reference = serializers.CharField()
    currency = serializers.CharField()
    amount = MoneyField(help_text="Decimal string in the currency.")
    float = MoneyField(allow_null=True, help_text="The reseller's float after the credit.")


class MyFloatBodySerializer(serializers.Serializer):
    currency = serializers.CharField()
    float = MoneyField(allow_null=True)
    mirror = MoneyField(allow_null=True)
    agrees = serializers.BooleanField()


class AgentFundBodySerializer(serializers.Serializer):
    agent = serializers.UUIDField()
    reference = serializers.CharField()
    currency = serializers.CharField()
    amount = MoneyField(allow_null=True)


class AgentStatementLineSerializer(serializers.Serializer):
    entry_type = serializers.CharField()
    entry_type_label = serializers.CharField(help_text="the entry type in words, in the request's language")
    reference = serializers.CharField()
    amount = MoneyField(allow_null=True)
    at = serializers.DateTimeField()
    status = serializers.CharField(allow_null=True)


class AgentCommissionLineSerializer(serializers.Serializer):
    order = serializers.CharField()
    level = serializers.IntegerField()
    amount = MoneyField(allow_null=True)
    status = serializers.CharField()
    at = serializers.DateTimeField()


class AgentStatementBodySerializer(serializers.Serializer):
    agent = serializers.UUIDField()
    currency = serializers.CharField()
    available = MoneyField(allow_null=True)
    lines = AgentStatementLineSerializer(many=True)
    commissions = AgentCommissionLineSerializer(many=True)
