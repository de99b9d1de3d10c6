"""Response bodies (OpenAPI) of the bulk top-up views: what ``views.batch_json``/``row_json`` build, field for
field (amounts are decimal strings in the batch's currency)."""

from __future__ import annotations

from rest_framework import serializers


class BulkBatchSummarySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="preview, processing, paused (the tenant is suspended) or completed.")
    file_name = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    rows = serializers.IntegerField()
    valid = serializers.IntegerField()
    total_price = serializers.CharField()
    currency = serializers.CharField()


class BulkRowErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField(allow_blank=True)


class BulkRowOrderSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="processing, delivered or refunded.")


class BulkRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    number = serializers.CharField(allow_blank=True)
    recipient_phone = serializers.CharField(allow_null=True)
    network = serializers.CharField(allow_null=True)
    product_id = serializers.IntegerField(allow_null=True)
    product_name = serializers.CharField(allow_null=True)
    amount = serializers.CharField(allow_null=True)
    price = serializers.CharField(allow_null=True)
    status = serializers.CharField(help_text="invalid, ready, ordered or failed.")
    error = BulkRowErrorSerializer(allow_null=True)
    order = BulkRowOrderSerializer(allow_null=True)


class BulkCountsSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    valid = serializers.IntegerField()
    invalid = serializers.IntegerField()
    waiting = serializers.IntegerField()
    ordered = serializers.IntegerField()
    refused = serializers.IntegerField()


class BulkWalletFundsSerializer(serializers.Serializer):
    needed = serializers.CharField()
    available = serializers.CharField()
    enough = serializers.BooleanField()


class BulkFloatFundsSerializer(serializers.Serializer):
    enough = serializers.BooleanField()
    needed = serializers.CharField(required=False, allow_null=True,
                                   help_text="Only for the reseller's admins.")
    available = serializers.CharField(required=False, allow_null=True,
                                      help_text="Only for the reseller's admins.")


class BulkFundsSerializer(serializers.Serializer):
    wallet = BulkWalletFundsSerializer()
    float = BulkFloatFundsSerializer(allow_null=True, help_text="Reseller brands only: the float at the operation.")
    enough = serializers.BooleanField()


class BulkNetworkGroupSerializer(serializers.Serializer):
    network = serializers.CharField(allow_blank=True)
    name = serializers.CharField()
    rows = serializers.IntegerField()
    price = serializers.CharField()


class BulkBatchSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField(help_text="preview, processing, paused (the tenant is suspended) or completed.")
    file_name = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    currency = serializers.CharField()
    counts = BulkCountsSerializer()
    total_face_value = serializers.CharField()
    total_price = serializers.CharField()
    pricing_version = serializers.CharField()
    funds = BulkFundsSerializer()
    by_network = BulkNetworkGroupSerializer(many=True)
    results_csv = serializers.CharField()
    rows = BulkRowSerializer(many=True, required=False, help_text="Absent from the confirmation's answer.")
    duplicate_file = serializers.BooleanField(required=False, help_text="Upload only: the same file again.")
