"""KYC API shapes: numbers only ever appear masked."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from .models import KycDocument, KycSubmission


class KycSubmitSerializer(serializers.Serializer):
    scheme = serializers.CharField(max_length=32, help_text="A scheme code of the country: bvn, nin, ghana_card...")
    number = serializers.CharField(max_length=64, write_only=True, trim_whitespace=True)
    id_document = serializers.FileField(required=False)
    selfie = serializers.FileField(required=False)
    proof_of_address = serializers.FileField(required=False)


class KycDocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = KycDocument
        fields = ["id", "kind", "content_type", "size_bytes", "created_at"]


class KycDocumentWithUrlSerializer(KycDocumentSerializer):
    url = serializers.SerializerMethodField(help_text="Short-lived signed link (operators only).")

    class Meta(KycDocumentSerializer.Meta):
        fields = [*KycDocumentSerializer.Meta.fields, "url"]

    def get_url(self, document: KycDocument) -> str:
        return document.file.url


class KycSubmissionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    documents = KycDocumentSerializer(many=True, read_only=True)

    class Meta:
        model = KycSubmission
        fields = ["id", "scheme", "number_masked", "status", "verification_status", "review_note", "created_at",
                  "reviewed_at", "documents"]


class KycReviewSubmissionSerializer(KycSubmissionSerializer):
    user = serializers.UUIDField(source="user.public_id", read_only=True)
    user_email = serializers.EmailField(source="user.email", read_only=True)
    reviewed_by = serializers.EmailField(source="reviewed_by.email", read_only=True, default=None, allow_null=True)
    documents = KycDocumentWithUrlSerializer(many=True, read_only=True)

    class Meta(KycSubmissionSerializer.Meta):
        fields = [*KycSubmissionSerializer.Meta.fields, "user", "user_email", "verification_reference",
                  "verification_code", "reviewed_by"]


class KycDecisionSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


@extend_schema_serializer(component_name="KycStatusTier")  # countries has its own "KycTier" component
class KycTierSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    name = serializers.CharField()
    single_limit = serializers.CharField(help_text="Decimal string in the country's currency.")
    daily_limit = serializers.CharField()
    max_balance = serializers.CharField(allow_null=True, help_text="The most the wallet may hold (null: no cap).")
    requires = serializers.ListField(child=serializers.CharField())


@extend_schema_serializer(component_name="KycStatusScheme")
class KycSchemeSerializer(serializers.Serializer):
    code = serializers.CharField()
    # DRF's serializer metaclass takes declared fields off the class: no clash with Field.label (stubs can't tell).
    label = serializers.CharField()  # type: ignore[assignment]
    example = serializers.CharField()


class KycStatusSerializer(serializers.Serializer):
    currency = serializers.CharField()
    tier = KycTierSerializer(allow_null=True)
    satisfied = serializers.ListField(child=serializers.CharField())
    spent_today = serializers.CharField()
    max_balance = serializers.CharField(
        allow_null=True, help_text="The wallet's maximum balance at the current level (balance + money on hold; "
                                   "null: no cap). Credits past it are refused: 422 balance_limit_exceeded.")
    balance_held = serializers.CharField(help_text="What the wallet holds now: balance + money on hold.")
    balance_headroom = serializers.CharField(allow_null=True, help_text="What it may still receive (null: no cap).")
    tiers = KycTierSerializer(many=True)
    schemes = KycSchemeSerializer(many=True)
    submissions = KycSubmissionSerializer(many=True)
