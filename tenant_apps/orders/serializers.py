"""Purchase API shapes (thin: validation of types only; the service decides the rest)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_noop
from rest_framework import serializers

from provider_plugins.interfaces.money import AmountError, amount_text
from shared_apps.core.amounts import AmountField, parse_amount
from tenant_apps.ledger.currency import tenant_currency, to_decimal_string
from tenant_apps.receipts.tax import api_tax_lines

from .models import Order, OrderStatus


def amount_to_minor(value: str | None, currency: str) -> int | None:
    """An optional positive amount (open-amount products); refused ones are 400 ``invalid_amount``."""
    if value in (None, ""):
        return None
    return parse_amount(value, currency=currency)


class PurchaseSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1)
    recipient_phone = serializers.CharField(max_length=32)
    amount = AmountField(required=False, allow_null=True, allow_blank=True,
                         help_text="Decimal string, for open-amount products (airtime, electricity).")
    customer_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    confirm_duplicate = serializers.BooleanField(required=False, default=False)
    details = serializers.DictField(child=serializers.CharField(max_length=80, allow_blank=True), required=False,
                                    help_text="Extra fields some services need (motor insurance: the vehicle).")

    def validate(self, attrs):
        attrs["amount_minor"] = amount_to_minor(attrs.pop("amount", None), tenant_currency().code)
        return attrs


class ValidatedPurchase:
    """A body :func:`common_purchase` accepted: what ``PurchaseSerializer.is_valid()`` gives it (no errors)."""

    errors: dict = {}  # read-only, as the serializer's attribute

    def __init__(self, validated_data: dict) -> None:
        self.validated_data = validated_data


def _plain_text(value: Any, *, max_length: int, allow_blank: bool) -> str | None:
    """A ``CharField``'s value for ASCII text it accepts (stripped); None: let the serializer judge."""
    if type(value) is not str or not value.isascii() or "\x00" in value:
        return None
    text = value.strip()
    if len(text) > max_length or (not text and not allow_blank):
        return None
    return text


def common_purchase(data: Any) -> dict | None:
    """The validated data of a plain purchase body, ~20x cheaper than the serializer (issue 18), or None.

    Plain: an int product id, ASCII text, an amount given as text (or none), a bool, no ``details``. For
    those, the result is exactly ``PurchaseSerializer``'s (``tests/orders/test_purchase_body.py`` compares
    them on generated bodies); anything else (and every refusal) goes through the serializer, for its errors.
    """
    if type(data) is not dict:
        return None
    product_id = data.get("product_id")
    if type(product_id) is not int or not 1 <= product_id < 2**63 or "details" in data:
        return None
    phone = _plain_text(data.get("recipient_phone"), max_length=32, allow_blank=False)
    confirm = data.get("confirm_duplicate", False)
    if phone is None or type(confirm) is not bool:
        return None
    validated: dict[str, Any] = {"product_id": product_id, "recipient_phone": phone, "confirm_duplicate": confirm}
    if "customer_number" in data:
        number = _plain_text(data["customer_number"], max_length=40, allow_blank=True)
        if number is None:
            return None
        validated["customer_number"] = number
    amount = data.get("amount")
    if amount is not None and amount != "":
        if type(amount) is not str:
            return None
        try:
            amount = amount_text(amount)
        except AmountError:
            return None
    # As PurchaseSerializer.validate (InvalidAmount, raised from the same place, for a number it refuses).
    validated["amount_minor"] = amount_to_minor(amount or None, tenant_currency().code)
    return validated


def purchase_body(data: Any) -> PurchaseSerializer | ValidatedPurchase:
    """The purchase body validated: the common case directly, anything else by the serializer (its errors)."""
    validated = common_purchase(data)
    if validated is not None:
        return ValidatedPurchase(validated)
    serializer = PurchaseSerializer(data=data)
    serializer.is_valid()
    return serializer


class VerifySerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1)
    customer_number = serializers.CharField(max_length=40)


PLAIN_STATUSES = ["processing", "delivered", "refunded"]
PLAIN_STATUS: dict[str, str] = {
    OrderStatus.CREATED: "processing", OrderStatus.HELD: "processing", OrderStatus.SUBMITTED: "processing",
    OrderStatus.PENDING: "processing", OrderStatus.MANUAL_REVIEW: "processing", OrderStatus.SUCCEEDED: "delivered",
    OrderStatus.SETTLED: "delivered", OrderStatus.FAILED: "processing", OrderStatus.RELEASED: "refunded",
    OrderStatus.REVERSED: "refunded",
}
# Marked for the catalogues (the portal's status block says the same); translated when a response is built.
STATUS_MESSAGE = {
    "processing": gettext_noop("Still processing: the provider has not confirmed yet. Your money is on hold, not "
                               "spent; if it cannot be delivered it comes back to your wallet."),
    "delivered": gettext_noop("Delivered."),
    "refunded": gettext_noop("Not delivered: the money is back in your wallet."),
}


def order_json(order: Order) -> dict:
    """The receipt: what was bought, for whom, its status in plain words, and the provider's reference."""
    plain = PLAIN_STATUS[order.status]
    body = {
        "id": str(order.public_id),
        "status": plain,
        "state": order.status,
        "message": gettext(STATUS_MESSAGE[plain]),  # the request's language
        "product_id": order.product_id,
        "product_type": order.product_type,
        "product_name": order.product_name,
        "recipient_phone": order.recipient_phone,
        "customer_number": order.customer_number,
        "customer_name": order.customer_name,
        "currency": order.currency,
        "face_value": to_decimal_string(order.face_value_minor, order.currency),
        "price": to_decimal_string(order.price_minor, order.currency),
        "provider_reference": order.provider_reference,
        # VAT and levies contained in the price (none once refunded): tenant_apps.receipts.tax.
        "taxes": api_tax_lines(kind="order", obj=order, currency=order.currency) if plain != "refunded" else [],
        "created_at": order.created_at.isoformat(),
        "completed_at": order.final_at.isoformat() if order.final_at else None,
    }
    if order.product_type == "electricity" or order.token:
        body["token"] = order.token  # prepaid meter token, exam PIN, insurance certificate number
        body["units"] = order.units
    details = order.receipt_details or {}
    if details.get("fx"):
        # The provider priced in its own currency: the rate it quoted and what it charged, for the record.
        body["provider_fx"] = {key: details["fx"].get(key) for key in ("rate", "currency", "amount")}
    for key in ("pins", "certificate"):
        if details.get(key):
            body[key] = details[key]
    return body


class OrderSerializer(serializers.Serializer):
    """For the OpenAPI schema only (responses are built by ``order_json``)."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=PLAIN_STATUSES)
    state = serializers.ChoiceField(choices=OrderStatus.choices)
    message = serializers.CharField()
    product_id = serializers.IntegerField()
    product_type = serializers.CharField()
    product_name = serializers.CharField()
    recipient_phone = serializers.CharField()
    customer_number = serializers.CharField()
    customer_name = serializers.CharField()
    currency = serializers.CharField()
    face_value = serializers.CharField()
    price = serializers.CharField()
    provider_reference = serializers.CharField()
    taxes = serializers.ListField(child=serializers.DictField(), help_text="code, name, rate_bps, included, amount")
    token = serializers.CharField(required=False)
    units = serializers.CharField(required=False)
    provider_fx = serializers.DictField(required=False, help_text="rate (local units per provider unit), "
                                                                   "currency and amount the provider charged")
    pins = serializers.ListField(child=serializers.DictField(), required=False)
    certificate = serializers.DictField(required=False)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class OrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=PLAIN_STATUSES, required=False)
    product_type = serializers.CharField(required=False)
    recipient_phone = serializers.CharField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


# --- staff (manual-review queue) -----------------------------------------------------------------
STAFF_STATUS_FILTER = ["review", *OrderStatus.values]


class StaffOrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=STAFF_STATUS_FILTER, required=False,
                                     help_text="A machine state, or `review`: the manual-review queue.")
    q = serializers.CharField(required=False, max_length=120,
                              help_text="Order id, recipient number, customer number, provider reference, "
                                        "provider request id or buyer email.")


class StaffResolveSerializer(serializers.Serializer):
    delivered = serializers.BooleanField(help_text="true: settle (the provider delivered); false: refund the hold.")
    note = serializers.CharField(max_length=200, help_text="What the provider's statement showed (audited).")


class StaffTransitionSerializer(serializers.Serializer):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    reason = serializers.CharField()
    # DRF's serializer metaclass takes declared fields off the class: no clash with Field.source (stubs can't tell).
    source = serializers.CharField()  # type: ignore[assignment]
    at = serializers.DateTimeField()


class StaffAttemptSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    provider_id = serializers.IntegerField()
    plugin_key = serializers.CharField()
    request_id = serializers.CharField()
    status = serializers.CharField()
    provider_reference = serializers.CharField()
    provider_code = serializers.CharField()
    reason = serializers.CharField()
    submit_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)


class StaffOrderSerializer(OrderSerializer):
    """For the OpenAPI schema only (``staff_order_json``)."""

    buyer = serializers.DictField()
    needs_review = serializers.BooleanField()
    failure_reason = serializers.CharField()
    requery_count = serializers.IntegerField()
    next_requery_at = serializers.DateTimeField(allow_null=True)
    hold_status = serializers.CharField(allow_null=True)
    transitions = StaffTransitionSerializer(many=True, required=False)
    attempts = StaffAttemptSerializer(many=True, required=False)


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def staff_order_json(order: Order, *, detail: bool = False) -> dict:
    """The receipt plus what staff need: buyer, review flags, hold; with ``detail`` every transition and attempt."""
    body = order_json(order)
    if order.product_type != "electricity":
        body["token"], body["units"] = order.token, order.units
    body.update({
        "buyer": {"id": str(order.user.public_id), "email": order.user.email, "phone": order.user.phone},
        "needs_review": order.needs_review,
        "failure_reason": order.failure_reason,
        "requery_count": order.requery_count,
        "next_requery_at": _iso(order.next_requery_at),
        "hold_status": order.hold.status if detail and order.hold is not None else None,
    })
    if detail:
        body["transitions"] = [
            {"from_status": t.from_status, "to_status": t.to_status, "reason": t.reason, "source": t.source,
             "at": t.created_at.isoformat()} for t in order.transitions.order_by("id")]
        body["attempts"] = [
            {"number": a.number, "provider_id": a.provider_id, "plugin_key": a.plugin_key, "request_id": a.request_id,
             "status": a.status, "provider_reference": a.provider_reference, "provider_code": a.provider_code,
             "reason": a.reason, "submit_count": a.submit_count, "created_at": a.created_at.isoformat(),
             "answered_at": _iso(a.answered_at)} for a in order.attempts.order_by("number")]
        from tenant_apps.risk.selectors import decision_json, decisions_for_subject

        # What the risk rules said (a held purchase waits for POST /api/risk/decisions/<id>/release or /reject).
        body["risk_decisions"] = [decision_json(d) for d in decisions_for_subject(subject_type="order",
                                                                                   subject_id=str(order.public_id))]
    return body


class PurchaseVerifyBodySerializer(serializers.Serializer):
    """What POST /api/purchase/verify answers: the biller's record of the meter or smartcard."""

    customer_number = serializers.CharField()
    name = serializers.CharField(allow_blank=True)
    address = serializers.CharField(allow_blank=True)
    minimum_amount = serializers.CharField(allow_null=True)
    details = serializers.DictField(help_text="Biller-specific extras (free-form).")
