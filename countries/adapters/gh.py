"""Ghana: GHS (pesewas), NCA numbering plan, Ghana Card (NIA), Bank of Ghana e-money tiers, VAT 15 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, card, mobile_money
from countries.kyc import KycScheme, ghana_card_format, tier
from countries.retention import Retention

MINOR = 2


class Ghana(CountryAdapter):
    code = "GH"
    name = "Ghana"
    currency = "GHS"
    minor_unit = MINOR
    currency_symbol = "GH₵"
    currency_aliases = ("GH¢", "₵", "¢")
    languages = ["en"]
    default_language = "en"
    kyc_schemes = [
        # Ghana Card PIN: GHA-XXXXXXXXX-X (9 digits then a check digit). NIA does not publish
        # the check-digit algorithm, so the format is checked here and the number online at KYC.
        KycScheme(code="ghana_card", label=_("Ghana Card PIN"), pattern=r"GHA\d{9}\d", example="GHA-712345678-3",
                  issuer="National Identification Authority", formatter=ghana_card_format, level_hint=1),
    ]
    # Bank of Ghana e-money guidelines (2015, limits raised 2020): minimum / medium / enhanced KYC.
    kyc_tiers = [
        tier(0, _("Unverified"), single=300, daily=300, balance=1_000, requires=("phone",), minor_unit=MINOR),
        tier(1, _("Minimum KYC"), single=3_000, daily=5_000, balance=10_000, requires=("phone", "ghana_card"),
             minor_unit=MINOR),
        tier(2, _("Enhanced KYC"), single=10_000, daily=25_000, balance=75_000,
             requires=("phone", "ghana_card", "selfie", "address"), minor_unit=MINOR),
    ]
    rails = [card("paystack"), card("flutterwave"), mobile_money("mtn_momo")]
    vat_rate_bps = 1500

    retention = Retention(transactions=5, kyc=5, provider_archive=5,
                          basis="Anti-Money Laundering Act 2020 (Act 1044) s.32 (5 years); "
                                "Data Protection Act 2012 (Act 843)")


adapter = Ghana()
