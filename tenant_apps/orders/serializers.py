"""Purchase API shapes (thin: validation of types only; the service decides the rest)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from rest_framework import serializers

from tenant_apps.ledger.currency import tenant_currency, to_decimal_string, to_minor

from .models import Order, OrderStatus


def amount_to_minor(value: str | None, currency: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        Decimal(str(value))
        minor = to_minor(value, currency)
    except (InvalidOperation, ValueError) as exc:
        raise serializers.ValidationError({"amount": [str(exc) or "Enter a decimal amount such as 100.00."]}) \
            from None
    if minor <= 0:
        raise serializers.ValidationError({"amount": ["Must be positive."]})
    return minor


class PurchaseSerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1)
    recipient_phone = serializers.CharField(max_length=32)
    amount = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                   help_text="Decimal string, for open-amount products (airtime, electricity).")
    customer_number = serializers.CharField(max_length=40, required=False, allow_blank=True)
    confirm_duplicate = serializers.BooleanField(required=False, default=False)

    def validate(self, attrs):
        attrs["amount_minor"] = amount_to_minor(attrs.pop("amount", None), tenant_currency().code)
        return attrs


class VerifySerializer(serializers.Serializer):
    product_id = serializers.IntegerField(min_value=1)
    customer_number = serializers.CharField(max_length=40)


PLAIN_STATUS = {
    OrderStatus.CREATED: "processing", OrderStatus.HELD: "processing", OrderStatus.SUBMITTED: "processing",
    OrderStatus.PENDING: "processing", OrderStatus.MANUAL_REVIEW: "processing", OrderStatus.SUCCEEDED: "delivered",
    OrderStatus.SETTLED: "delivered", OrderStatus.FAILED: "processing", OrderStatus.RELEASED: "refunded",
    OrderStatus.REVERSED: "refunded",
}
STATUS_MESSAGE = {
    "processing": "Still processing: the provider has not confirmed yet. Your money is on hold, not spent; "
                  "if it cannot be delivered it comes back to your wallet.",
    "delivered": "Delivered.",
    "refunded": "Not delivered: the money is back in your wallet.",
}


def order_json(order: Order) -> dict:
    """The receipt: what was bought, for whom, its status in plain words, and the provider's reference."""
    plain = PLAIN_STATUS[order.status]
    body = {
        "id": str(order.public_id),
        "status": plain,
        "state": order.status,
        "message": STATUS_MESSAGE[plain],
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
        "created_at": order.created_at.isoformat(),
        "completed_at": order.final_at.isoformat() if order.final_at else None,
    }
    if order.product_type == "electricity":
        body["token"] = order.token
        body["units"] = order.units
    return body


class OrderSerializer(serializers.Serializer):
    """For the OpenAPI schema only (responses are built by ``order_json``)."""

    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=["processing", "delivered", "refunded"])
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
    token = serializers.CharField(required=False)
    units = serializers.CharField(required=False)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)


class OrderFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["processing", "delivered", "refunded"], required=False)
    product_type = serializers.CharField(required=False)
    recipient_phone = serializers.CharField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
