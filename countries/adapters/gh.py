"""Ghana: GHS (pesewas), NCA numbering plan, Ghana Card (NIA), Bank of Ghana e-money tiers, VAT 15 %, NHIL, GETFund."""

from datetime import date

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, card, mobile_money
from countries.kyc import KycScheme, ghana_card_format, tier
from countries.retention import Retention
from countries.tax import LEVY, SALE_INCOME, TaxRule

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
    vat_name = "VAT"
    vat_source = "Value Added Tax Act 2025 (Act 1151), in force 1 January 2026: VAT 15 %"
    # The levies are charged with VAT on the same value (Act 1151 re-coupled them with VAT and stopped the
    # compounding: VAT used to be charged on the value plus the levies, 21.9 % in all). The COVID-19 Health
    # Recovery Levy (Act 1068, 2021) was abolished from 1 January 2026: kept, dated, for earlier periods.
    # The E-Levy on mobile-money transfers was repealed in 2025 (E-Levy (Repeal) Act 2025): not charged.
    levies = (
        TaxRule(code="nhil", name="NHIL", kind=LEVY, applies_to=SALE_INCOME, rate_bps=250,
                source="National Health Insurance Act 2012 (Act 852), as amended by Act 1151 (2026): 2.5 %"),
        TaxRule(code="getfund", name="GETFund levy", kind=LEVY, applies_to=SALE_INCOME, rate_bps=250,
                source="Ghana Education Trust Fund Act 2000 (Act 581), as amended by Act 1151 (2026): 2.5 %"),
        TaxRule(code="covid", name="COVID-19 levy", kind=LEVY, applies_to=SALE_INCOME, rate_bps=100,
                valid_from=date(2021, 5, 1), valid_to=date(2025, 12, 31),
                source="COVID-19 Health Recovery Levy Act 2021 (Act 1068): 1 %, abolished from 2026"),
    )

    retention = Retention(transactions=5, kyc=5, provider_archive=5,
                          basis="Anti-Money Laundering Act 2020 (Act 1044) s.32 (5 years); "
                                "Data Protection Act 2012 (Act 843)")


adapter = Ghana()
