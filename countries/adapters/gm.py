"""The Gambia: GMD (bututs), PURA numbering plan, national ID, CBG-style tiers, VAT 15 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, mobile_money
from countries.kyc import KycScheme, tiers_three

MINOR = 2


class Gambia(CountryAdapter):
    code = "GM"
    name = "Gambia"
    currency = "GMD"
    minor_unit = MINOR
    currency_symbol = "D"
    currency_aliases = ("GMD",)
    languages = ["en"]
    default_language = "en"
    kyc_schemes = [
        # Biometric national ID card number (digits only); verified online at KYC.
        KycScheme(code="national_id", label=_("National ID card number"), pattern=r"\d{8,11}",
                  example="123456789", issuer="Gambia Immigration Department"),
    ]
    kyc_tiers = tiers_three(MINOR, "national_id", unverified=(2_500, 5_000, 10_000),
                            identified=(25_000, 50_000, 150_000), full=(100_000, 250_000))
    rails = [mobile_money("wave")]
    vat_rate_bps = 1500
    vat_name = "VAT"
    vat_source = "Value Added Tax Act 2012: VAT 15 %"


adapter = Gambia()
