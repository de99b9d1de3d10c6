from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext, gettext_noop
from rest_framework import serializers

from countries.fields import country_name

from .engine import half_up_div
from .quotes import quote_for_face
from .selectors import decimal_string

# The customer-number labels the provider plugins give (English, connectors cannot translate): marked here so the
# catalogues hold them; a label no catalogue knows is shown as the provider wrote it.
PROVIDER_NUMBER_LABELS = (gettext_noop("Meter number"), gettext_noop("Smartcard number"),
                          gettext_noop("Customer number"), gettext_noop("JAMB profile ID"),
                          gettext_noop("Vehicle plate number"))

REFERENCE_FACE_MINOR = 1_000_000  # open amounts: the percent is quoted at this face value


class ProductQuerySerializer(serializers.Serializer):
    type = serializers.CharField(required=False, allow_blank=True)
    country = serializers.CharField(required=False, allow_blank=True, max_length=2)
    provider = serializers.CharField(required=False, allow_blank=True, max_length=100)
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)


class ProviderRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ProductSerializer(serializers.Serializer):
    """A product at the tenant's selling price (decimal strings). Provider cost is never shown."""

    id = serializers.IntegerField(read_only=True)
    type = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    provider = ProviderRefSerializer(read_only=True)
    country = serializers.CharField(read_only=True)
    country_name = serializers.CharField(read_only=True, help_text="In the request's language.")
    currency = serializers.CharField(read_only=True)
    operator = serializers.CharField(read_only=True)
    price = serializers.CharField(read_only=True, allow_null=True, help_text="Fixed-price products only.")
    face_value = serializers.CharField(read_only=True, allow_null=True)
    min_amount = serializers.CharField(read_only=True, allow_null=True, help_text="Open-amount products only.")
    max_amount = serializers.CharField(read_only=True, allow_null=True)
    price_percent_of_amount = serializers.CharField(
        read_only=True, allow_null=True, help_text="Open amounts: what the user pays, in % of the amount.")
    data_size_mb = serializers.IntegerField(read_only=True, allow_null=True)
    validity_days = serializers.IntegerField(read_only=True, allow_null=True)
    biller_code = serializers.CharField(read_only=True)
    customer_number_label = serializers.CharField(read_only=True)
    requires_verification = serializers.BooleanField(read_only=True)
    variation = serializers.CharField(read_only=True)

    def to_representation(self, product) -> dict:
        pricing = self.context["pricing"]
        currency, country = product.currency, product.country

        def money(value):
            return decimal_string(value, currency=currency, country=country)

        # The same function the purchase path uses, so the listed price is the price paid.
        price_minor = rate = None
        if product.is_open_amount:
            quote = quote_for_face(product=product, face_minor=REFERENCE_FACE_MINOR, pricing=pricing)
            rate = half_up_div(quote.price_minor * 10_000, REFERENCE_FACE_MINOR)
        else:
            price_minor = quote_for_face(product=product, face_minor=product.face_value_minor,
                                         pricing=pricing).price_minor
        return {
            "id": product.pk,
            "type": product.product_type,
            "name": product.name,
            "provider": {"id": product.provider_id, "name": product.provider.name},
            "country": country,
            "country_name": country_name(country),
            "currency": currency,
            "operator": product.operator,
            "price": money(price_minor),
            "face_value": money(product.face_value_minor),
            "min_amount": money(product.min_amount_minor),
            "max_amount": money(product.max_amount_minor),
            "price_percent_of_amount": None if rate is None else f"{Decimal(rate).scaleb(-2):.2f}",
            "data_size_mb": product.data_size_mb,
            "validity_days": product.validity_days,
            "biller_code": product.biller_code,
            # Providers label the number in English ("Meter number"); the known labels are in the catalogues.
            "customer_number_label": gettext(product.customer_number_label) if product.customer_number_label else "",
            "requires_verification": product.requires_verification,
            "variation": product.variation,
        }
