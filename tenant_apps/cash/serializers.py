from __future__ import annotations

from rest_framework import serializers

from shared_apps.core.amounts import AmountField, MoneyField


class CashInSerializer(serializers.Serializer):
    customer = serializers.CharField(max_length=32, help_text="the customer's phone number, in any local form")
    amount = AmountField(help_text="decimal string in the site's currency, e.g. 5000.00")


class ConfirmSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=16, help_text="the code the customer received by SMS, or their "
                                                          "transaction PIN when the confirmation is \"pin\"")


class CashOutSerializer(serializers.Serializer):
    customer = serializers.CharField(max_length=32)
    code = serializers.CharField(max_length=16, help_text="the withdrawal code the customer generated")
    amount = AmountField(help_text="exactly the amount the code was made for (decimal string)")


class WithdrawalCodeRequestSerializer(serializers.Serializer):
    amount = AmountField(help_text="decimal string in the site's currency, e.g. 2000.00")


class CashTransactionSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    kind = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.CharField()
    amount = MoneyField(minor="amount_minor")
    fee = MoneyField(minor="fee_minor")
    currency = serializers.CharField()
    customer_phone = serializers.SerializerMethodField()
    confirmation = serializers.SerializerMethodField(
        help_text="how the customer confirms when awaited: otp (a code sent to them by SMS) or pin (their transaction "
                  "PIN)")
    expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)

    def get_customer_phone(self, row) -> str:
        phone = row.customer.phone or ""
        return phone[:-4].replace(phone[:-4], "*" * len(phone[:-4])) + phone[-4:] if phone else ""

    def get_confirmation(self, row) -> str | None:
        return row.challenge.method if row.challenge_id and row.status == "awaiting_confirmation" else None


class WithdrawalCodeSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = serializers.CharField()
    amount = MoneyField(minor="amount_minor")
    fee = MoneyField(minor="fee_minor")
    total = MoneyField(minor="total_minor", help_text="held on the wallet until the code is used or expires")
    currency = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
