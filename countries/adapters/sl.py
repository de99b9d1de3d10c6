"""Sierra Leone: SLE (new leone, cents), NATCA numbering plan, NIN (NCRA), BSL-style tiers, GST 15 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, mobile_money
from countries.kyc import KycScheme, tiers_three

MINOR = 2


class SierraLeone(CountryAdapter):
    code = "SL"
    name = "Sierra Leone"
    currency = "SLE"
    minor_unit = MINOR
    currency_symbol = "Le"
    currency_aliases = ("NLe", "SLE")
    languages = ["en"]
    default_language = "en"
    kyc_schemes = [
        # National Identification Number from the National Civil Registration Authority (letters and digits).
        KycScheme(code="nin", label=_("National Identification Number (NIN)"), pattern=r"[A-Z0-9]{8,12}",
                  example="AB12CD34", issuer="NCRA"),
    ]
    kyc_tiers = tiers_three(MINOR, "nin", unverified=(1_000, 2_000, 5_000), identified=(10_000, 20_000, 50_000),
                            full=(50_000, 100_000))
    rails = [mobile_money("orange_money", payout=False)]
    vat_rate_bps = 1500
    vat_name = "GST"
    vat_source = "Goods and Services Tax Act 2009: GST 15 %"


adapter = SierraLeone()
