from __future__ import annotations

from rest_framework import serializers

from tenant_apps.ledger.currency import to_decimal_string
from tenant_apps.ledger.selectors import StatementStatus


class StatementFilterSerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    type = serializers.CharField(required=False, max_length=40)
    status = serializers.ChoiceField(required=False, choices=StatementStatus.ALL)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": ["Must not be before date_from."]})
        return attrs


def statement_row(posting) -> dict:
    """One statement line (a posting on one of the user's wallets) in API form."""
    return {
        "id": posting.pk,
        "created_at": posting.created_at.isoformat(),
        "type": posting.entry_type,
        "status": posting.status,
        "reference": posting.reference,
        "direction": "credit" if posting.amount > 0 else "debit",
        "amount": to_decimal_string(posting.amount, posting.currency),
        "currency": posting.currency,
    }


class AdjustmentSerializer(serializers.Serializer):
    user = serializers.UUIDField(help_text="public_id of the user whose wallet is adjusted")
    amount = serializers.DecimalField(max_digits=20, decimal_places=6,
                                      help_text="signed: positive credits the wallet, negative debits it")
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    reason = serializers.CharField(max_length=255)


# --- response shapes (documentation for the OpenAPI schema) ---------------------------------

class WalletBalanceSerializer(serializers.Serializer):
    currency = serializers.CharField()
    kind = serializers.CharField()
    available = serializers.CharField(help_text="decimal string, e.g. 1250.00")
    on_hold = serializers.CharField(help_text="decimal string: placed holds not yet settled or released")


class WalletResponseSerializer(serializers.Serializer):
    default_currency = serializers.CharField()
    wallets = WalletBalanceSerializer(many=True)


class StatementRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    type = serializers.CharField()
    status = serializers.ChoiceField(choices=StatementStatus.ALL)
    reference = serializers.CharField()
    direction = serializers.ChoiceField(choices=["credit", "debit"])
    amount = serializers.CharField(help_text="signed decimal string")
    currency = serializers.CharField()


class AdjustmentResponseSerializer(serializers.Serializer):
    entry_id = serializers.IntegerField()
    reference = serializers.CharField()
    currency = serializers.CharField()
    amount = serializers.CharField()
    wallet_available = serializers.CharField()
