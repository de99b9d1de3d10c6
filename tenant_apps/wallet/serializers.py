from __future__ import annotations

from rest_framework import serializers

from shared_apps.core.amounts import AmountField, MoneyField
from tenant_apps.ledger.currency import to_decimal_string
from tenant_apps.ledger.entry_types import statement_label
from tenant_apps.ledger.selectors import StatementStatus

from .failures import failure_text

FAILURE_REASON_HELP = "Why it failed or waits for a check, in the customer's words and language; empty otherwise"
FAILURE_CODE_HELP = ("What was recorded, for support and reconciliation (machine field, not for display): our code "
                     "(expired, amount_mismatch, balance_limit_exceeded, kyc_limit_exceeded) or the provider's "
                     "status or message as it came (FAILED, PAYER_NOT_FOUND, ...)")


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
        "type_label": statement_label(posting.entry_type, posting.reference),
        "status": posting.status,
        "reference": posting.reference,
        "direction": "credit" if posting.amount > 0 else "debit",
        "amount": to_decimal_string(posting.amount, posting.currency),
        "currency": posting.currency,
    }


class AdjustmentSerializer(serializers.Serializer):
    user = serializers.UUIDField(help_text="public_id of the user whose wallet is adjusted")
    amount = AmountField(allow_negative=True, help_text="signed decimal string: positive credits the wallet, "
                                                         "negative debits it")
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    reason = serializers.CharField(max_length=255)
    returns_own_money = serializers.BooleanField(
        required=False, default=False,
        help_text="true when the credit gives back the customer's own money (a refund that went wrong): it may "
                  "take the wallet over its KYC tier's maximum balance; any other credit may not "
                  "(422 balance_limit_exceeded)")


class FundingReviewResolveSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=["credit", "refunded"], help_text=(
        "credit: what the payment put in suspense goes to the payer's wallet (its currency only, under the KYC "
        "tier's maximum balance); refunded: finance refunded the payer at the gateway (suspense -> gateway clearing)"))
    gateway_refund_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="",
                                                     help_text="the gateway's reference of the refund (required "
                                                               "for refunded)")
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


# --- response shapes (documentation for the OpenAPI schema) ---------------------------------

class MoneyAmountSerializer(serializers.Serializer):
    amount = serializers.CharField(allow_null=True, help_text="decimal string; null when nothing could be booked")
    currency = serializers.CharField()


class FundingReviewSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    gateway = serializers.CharField()
    reason = serializers.CharField(help_text="amount_mismatch or balance_limit_exceeded")
    user = serializers.DictField(help_text="the payer: id (public) and phone")
    asked = MoneyAmountSerializer()
    in_suspense = MoneyAmountSerializer()
    created_at = serializers.DateTimeField()
    status = serializers.CharField()
    resolution = serializers.CharField(help_text="credited, refunded, or empty while in review")
    resolved_at = serializers.DateTimeField(allow_null=True)
    gateway_refund_reference = serializers.CharField()
    note = serializers.CharField()


class FundingReviewListSerializer(serializers.Serializer):
    results = FundingReviewSerializer(many=True)


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
    type = serializers.CharField(help_text="the entry type's code (machine-readable), e.g. hold_place")
    type_label = serializers.CharField(help_text="the entry type in words, in the request's language")
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


# --- funding and transfers ------------------------------------------------------------------

class FundRequestSerializer(serializers.Serializer):
    amount = AmountField(help_text="decimal string in the currency, e.g. 1500.00")
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    gateway = serializers.CharField(max_length=40, help_text="a plugin key of the tenant's country (GET /api/wallet/"
                                                              "gateways lists them)")


class FundingIntentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    reference = serializers.CharField()
    gateway = serializers.CharField()
    status = serializers.CharField()
    amount = MoneyField(minor="amount_minor")
    currency = serializers.CharField()
    authorization_url = serializers.CharField()
    failure_reason = serializers.SerializerMethodField(help_text=FAILURE_REASON_HELP)
    failure_code = serializers.CharField(source="failure_reason", help_text=FAILURE_CODE_HELP)
    resolution = serializers.CharField(help_text="after a review by finance (status resolved): credited (what was "
                                                 "paid is in the wallet) or refunded (at the gateway); else empty")
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)

    def get_failure_reason(self, intent) -> str:
        return failure_text("funding", intent.failure_reason, status=intent.status)


class BankRecipientSerializer(serializers.Serializer):
    bank_code = serializers.RegexField(r"^[0-9A-Za-z]{2,20}$")
    account_number = serializers.RegexField(r"^[0-9]{6,20}$")


class WalletNameCheckSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32, required=False,
                                  help_text="the wallet's number (local or international form); default and only "
                                            "allowed value: the customer's own verified number")
    rail = serializers.RegexField(r"^[a-z_]{2,40}$", required=False,
                                  help_text="a rail of GET /api/transfers/rails; default: the first that reaches "
                                            "the number's network")


class WalletNameSerializer(serializers.Serializer):
    phone = serializers.CharField()
    name = serializers.CharField(help_text="empty when the rail has no name check")
    rail = serializers.CharField()


class WalletRailSerializer(serializers.Serializer):
    rail = serializers.CharField()
    name = serializers.CharField()
    name_check = serializers.ChoiceField(choices=["yes", "no"])
    networks = serializers.CharField(help_text="network keys the rail can pay, or 'any'")


class WalletRailListSerializer(serializers.Serializer):
    wallet_rails = WalletRailSerializer(many=True)
    bank = serializers.ListField(child=serializers.CharField())


class TransferRequestSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=["p2p", "bank", "wallet"])
    recipient = serializers.JSONField(help_text="p2p: phone or email; bank: {bank_code, account_number}; "
                                                "wallet: {phone, rail?} (the customer's mobile-money wallet)")
    amount = AmountField()

    def validate(self, attrs):
        recipient = attrs["recipient"]
        if attrs["type"] == "p2p":
            if not isinstance(recipient, str) or not recipient.strip() or len(recipient) > 254:
                raise serializers.ValidationError({"recipient": ["A phone number or an email."]})
            attrs["recipient"] = recipient.strip()
        elif attrs["type"] == "wallet":
            wallet = WalletNameCheckSerializer(data=recipient if isinstance(recipient, dict) else {})
            if not wallet.is_valid():
                raise serializers.ValidationError({"recipient": [f"{k}: {v[0]}" for k, v in wallet.errors.items()]})
            attrs["recipient"] = wallet.validated_data
        else:
            bank = BankRecipientSerializer(data=recipient if isinstance(recipient, dict) else {})
            if not bank.is_valid():
                raise serializers.ValidationError({"recipient": [f"{k}: {v[0]}" for k, v in bank.errors.items()]})
            attrs["recipient"] = bank.validated_data
        return attrs


class TransferSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    type = serializers.CharField()
    status = serializers.CharField()
    reference = serializers.CharField()
    amount = MoneyField(minor="amount_minor")
    currency = serializers.CharField()
    direction = serializers.SerializerMethodField()
    recipient = serializers.SerializerMethodField()
    failure_reason = serializers.SerializerMethodField(help_text=FAILURE_REASON_HELP)
    failure_code = serializers.CharField(source="failure_reason", help_text=FAILURE_CODE_HELP)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    taxes = serializers.SerializerMethodField(help_text="Levies the sender paid on top (Nigeria's stamp duty).")
    total_debited = serializers.SerializerMethodField(help_text="Amount plus the levies: what left the sender.")

    def get_failure_reason(self, row) -> str:
        return failure_text("transfer", row.failure_reason, status=row.status)

    def get_taxes(self, row) -> list[dict]:
        from tenant_apps.receipts.tax import api_tax_lines

        return api_tax_lines(kind="transfer", obj=row, currency=row.currency)

    def get_total_debited(self, row) -> str:
        return to_decimal_string(row.amount_minor + (row.tax_minor or 0), row.currency)

    def get_direction(self, row) -> str:
        viewer = self.context.get("viewer")
        return "in" if viewer is not None and row.recipient_user_id == viewer.pk else "out"

    def get_recipient(self, row) -> dict:
        if row.type == "p2p":
            user = row.recipient_user
            return {"email": user.email, "phone": user.phone or ""}
        if row.type == "wallet":
            return {"phone": "+" + row.account_number, "name": row.account_name, "rail": row.gateway}
        return {"bank_code": row.bank_code, "account_number": row.account_number, "account_name": row.account_name}


class AccountNameSerializer(serializers.Serializer):
    bank_code = serializers.CharField()
    account_number = serializers.CharField()
    account_name = serializers.CharField()


class GatewayOptionSerializer(serializers.Serializer):
    gateway = serializers.CharField()
    name = serializers.CharField()
    flow = serializers.ChoiceField(choices=["checkout", "mobile_money"])


class GatewayListSerializer(serializers.Serializer):
    gateways = GatewayOptionSerializer(many=True)


class VirtualAccountOpenSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=60)
    last_name = serializers.CharField(max_length=60)
    gateway = serializers.CharField(max_length=40, required=False, allow_blank=True)


class VirtualAccountSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    gateway = serializers.CharField()
    status = serializers.CharField(help_text="requested (the bank is assigning it), active, failed, deactivated")
    account_number = serializers.CharField(help_text="send a transfer from any bank app to this number")
    account_name = serializers.CharField()
    bank_name = serializers.CharField()
    currency = serializers.CharField()
    created_at = serializers.DateTimeField()


class ProviderBalanceSerializer(serializers.Serializer):
    provider = serializers.CharField()
    plugin = serializers.CharField()
    currency = serializers.CharField()
    balance = serializers.CharField(allow_null=True, help_text="decimal string; null when the provider did not answer")
    low = serializers.BooleanField(help_text="under the alert threshold (PROVIDER_LOW_BALANCE_MINOR)")
    error = serializers.CharField(allow_null=True)


class ProviderBalanceListSerializer(serializers.Serializer):
    providers = ProviderBalanceSerializer(many=True)
