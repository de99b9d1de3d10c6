"""Response shapes of /api/countries (documentation for the OpenAPI schema; the data comes from selectors)."""

from rest_framework import serializers


class NetworkSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()


class KycSchemeSerializer(serializers.Serializer):
    code = serializers.CharField()
    # DRF's serializer metaclass takes declared fields off the class: no clash with Field.label (stubs can't tell).
    label = serializers.CharField()  # type: ignore[assignment]
    example = serializers.CharField()
    issuer = serializers.CharField()


class KycTierSerializer(serializers.Serializer):
    level = serializers.IntegerField()
    name = serializers.CharField()
    requires = serializers.ListField(child=serializers.CharField())
    single_limit = serializers.CharField(help_text="Decimal string in the country's currency.")
    daily_limit = serializers.CharField()
    max_balance = serializers.CharField(allow_null=True)
    single_limit_minor = serializers.IntegerField()
    daily_limit_minor = serializers.IntegerField()
    max_balance_minor = serializers.IntegerField(allow_null=True)
    single_limit_display = serializers.CharField()


RAIL_KINDS = ["card", "mobile_money", "bank_transfer", "agent", "other"]


class RailSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="a provider plugin key, or 'agent' (cash at an agent)")
    kind = serializers.ChoiceField(choices=RAIL_KINDS)
    funding = serializers.BooleanField(help_text="money in: the wallet can be funded this way")
    payout = serializers.BooleanField(help_text="money out: the wallet can be cashed out this way")


class CountrySerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the request's language.")
    calling_code = serializers.CharField()
    currency = serializers.CharField()
    minor_unit = serializers.IntegerField()
    currency_symbol = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())
    default_language = serializers.CharField()
    vat_rate_bps = serializers.IntegerField()
    networks = NetworkSerializer(many=True)
    kyc_schemes = KycSchemeSerializer(many=True)
    kyc_tiers = KycTierSerializer(many=True)
    gateways = serializers.ListField(child=serializers.CharField(),
                                     help_text="On /api/countries/<code>: only rails a plugin serves there.")
    rails = RailSerializer(many=True)
    providers = serializers.ListField(child=serializers.DictField(), required=False,
                                      help_text="On /api/countries/<code>: usable providers there "
                                                "(name, plugin, capabilities, status).")
    sample_amount = serializers.CharField()


class CountryListSerializer(serializers.Serializer):
    results = CountrySerializer(many=True)
