"""Nigeria: NGN (kobo), NCC numbering plan, CBN three-tier KYC, VAT 7.5 % (Finance Act 2019), stamp duty (EMTL)."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, bank_payout, card, mobile_money
from countries.kyc import KycScheme, tier
from countries.retention import Retention
from countries.tax import LEVY, TRANSFER, TaxRule

MINOR = 2


class Nigeria(CountryAdapter):
    code = "NG"
    name = "Nigeria"
    currency = "NGN"
    minor_unit = MINOR
    currency_symbol = "₦"
    currency_aliases = ("N",)
    languages = ["en"]
    default_language = "en"
    kyc_schemes = [
        KycScheme(code="bvn", label=_("Bank Verification Number (BVN)"), pattern=r"\d{11}", example="22212345678",
                  issuer="CBN / NIBSS", level_hint=1),
        KycScheme(code="nin", label=_("National Identification Number (NIN)"), pattern=r"\d{11}",
                  example="12345678901", issuer="NIMC", level_hint=1),
    ]
    # CBN "Three-tiered KYC requirements" (2013), wallet limits; level 0 is our phone-only tier.
    kyc_tiers = [
        tier(0, _("Unverified"), single=5_000, daily=20_000, balance=20_000, requires=("phone",),
             minor_unit=MINOR),
        tier(1, _("Tier 1"), single=50_000, daily=50_000, balance=300_000, requires=("phone", "nin"),
             minor_unit=MINOR),
        tier(2, _("Tier 2"), single=100_000, daily=200_000, balance=500_000, requires=("phone", "nin", "bvn"),
             minor_unit=MINOR),
        tier(3, _("Tier 3"), single=5_000_000, daily=5_000_000, requires=("phone", "nin", "bvn", "address"),
             minor_unit=MINOR),
    ]
    rails = [card("paystack"), card("flutterwave"), mobile_money("airtel_money"), mobile_money("mtn_momo"),
             bank_payout("onepipe")]
    vat_rate_bps = 750
    vat_name = "VAT"
    vat_source = "Finance Act 2019 / Nigeria Tax Act 2025 (in force 1 January 2026): VAT 7.5 %"
    # NGN 50 on an electronic transfer of NGN 10,000 or more (stamp duty on electronic receipts, Finance
    # Act 2020; the Electronic Money Transfer Levy, Finance Act 2021, kept by the Nigeria Tax Act 2025).
    # The law puts it on the receipt; this platform collects it from the sender, on top of the amount.
    levies = (
        TaxRule(code="emtl", name="Stamp duty (EMTL)", kind=LEVY, applies_to=TRANSFER, fixed_minor=5_000,
                inclusive=False, threshold_minor=1_000_000,
                source="Finance Act 2021 (EMTL) / Nigeria Tax Act 2025: NGN 50 from NGN 10,000"),
    )

    retention = Retention(transactions=5, kyc=5, provider_archive=5,
                          basis="CBN AML/CFT Regulations 2022 (5 years after the transaction or the relationship); "
                                "NDPA 2023")


adapter = Nigeria()
