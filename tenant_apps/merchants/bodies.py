"""Response bodies of the merchant payments API (OpenAPI): what ``views.payment_json`` and its siblings return,
field for field."""

from __future__ import annotations

from rest_framework import serializers

from shared_apps.core.amounts import MoneyField
from tenant_apps.wallet.serializers import FAILURE_CODE_HELP, FAILURE_REASON_HELP


class MerchantPublicBody(serializers.Serializer):
    code = serializers.CharField()
    business_name = serializers.CharField()
    city = serializers.CharField(allow_blank=True)
    category = serializers.CharField()


class MerchantPaymentBody(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    amount = MoneyField()
    currency = serializers.CharField()
    channel = serializers.CharField()
    status = serializers.CharField()
    refunded = MoneyField()
    note = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    merchant = MerchantPublicBody()
    # Not MoneyField: read-only fields are required in a response schema, and the payer's view has neither.
    fee = serializers.CharField(required=False, help_text="the merchant's view only")
    net = serializers.CharField(required=False, help_text="the merchant's view only")
    payer = serializers.CharField(required=False, allow_blank=True, help_text="masked; the merchant's view only")



class MerchantSettlementDetailsBody(serializers.Serializer):
    method = serializers.CharField()
    bank_code = serializers.CharField(allow_blank=True)
    account_number = serializers.CharField(allow_blank=True)
    account_name = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    rail = serializers.CharField(allow_blank=True)


class MerchantOwnerBody(serializers.Serializer):
    email = serializers.CharField(allow_blank=True)
    phone = serializers.CharField(allow_blank=True)
    verification = serializers.CharField(help_text="the owner's KYC tier, \"-\" when none")


class MerchantBody(MerchantPublicBody):
    """What merchant_json returns (``owner``: the operator's view only)."""

    id = serializers.UUIDField()
    category_code = serializers.CharField()
    address = serializers.CharField(allow_blank=True)
    registration_number = serializers.CharField(allow_blank=True)
    contact_phone = serializers.CharField(allow_blank=True)
    status = serializers.CharField()
    review_note = serializers.CharField(allow_blank=True)
    settlement = MerchantSettlementDetailsBody()
    takings = MoneyField()
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()
    owner = MerchantOwnerBody(required=False, help_text="the operator's view only")


class MerchantListBody(serializers.Serializer):
    results = MerchantBody(many=True)


class MerchantCategoryBody(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    mcc = serializers.CharField()
    rate_bps = serializers.IntegerField()
    fee_fixed = MoneyField()
    fee_cap = MoneyField(allow_null=True)
    active = serializers.BooleanField()


class MerchantCategoryListBody(serializers.Serializer):
    results = MerchantCategoryBody(many=True)


class MerchantPayeeBody(serializers.Serializer):
    merchant = MerchantPublicBody()
    channel = serializers.CharField()
    amount = MoneyField(allow_null=True, help_text="null: a static code, the payer types the amount")
    currency = serializers.CharField()
    bill_number = serializers.CharField(allow_blank=True)


class MerchantStaticQrBody(serializers.Serializer):
    payload = serializers.CharField()
    code = serializers.CharField()


class MerchantPaymentRequestBody(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    amount = MoneyField()
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField()
    payload = serializers.CharField()


class MerchantSettlementBody(serializers.Serializer):
    id = serializers.UUIDField()
    business_date = serializers.DateField()
    amount = MoneyField()
    currency = serializers.CharField()
    method = serializers.CharField()
    status = serializers.CharField()
    failure_reason = serializers.CharField(allow_blank=True, help_text=FAILURE_REASON_HELP)
    failure_code = serializers.CharField(allow_blank=True, help_text=FAILURE_CODE_HELP)


class MerchantSettlementListBody(serializers.Serializer):
    results = MerchantSettlementBody(many=True)


class MerchantDashboardBody(serializers.Serializer):
    date = serializers.DateField()
    payments = serializers.IntegerField()
    gross = MoneyField()
    fees = MoneyField()
    refunds = serializers.IntegerField()
    refunded = MoneyField()
    net = MoneyField()
    unsettled = MoneyField()
    currency = serializers.CharField()
    settlements = MerchantSettlementBody(many=True)


class MerchantRefundBody(serializers.Serializer):
    id = serializers.UUIDField()
    amount = MoneyField()
    fee_returned = MoneyField()
    payment = MerchantPaymentBody(help_text="the payment after the refund, as its merchant sees it")
