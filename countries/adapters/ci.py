"""Côte d'Ivoire: XOF, ARTCI 10-digit numbering plan (2021), NNI and CNI (ONECI), BCEAO tiers, TVA 18 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, mobile_money
from countries.kyc import KycScheme, tiers_uemoa

MINOR = 0


class CoteDIvoire(CountryAdapter):
    code = "CI"
    name = "Côte d'Ivoire"
    currency = "XOF"
    minor_unit = MINOR
    currency_symbol = "CFA"
    currency_aliases = ("F CFA", "FCFA", "XOF")
    languages = ["fr"]
    default_language = "fr"
    kyc_schemes = [
        # Numéro National d'Identification: 11 digits (ONECI, on the 2019+ biometric card).
        KycScheme(code="nni", label=_("National Identification Number (NNI)"), pattern=r"\d{11}",
                  example="12345678901", issuer="ONECI"),
        # Card number: "CI" + 9 digits on the 2019+ card, "C" + 10 digits on older cards.
        KycScheme(code="cni", label=_("National ID card number (CNI)"), pattern=r"CI\d{9}|C\d{10}",
                  example="CI001234567", issuer="ONECI"),
    ]
    kyc_tiers = tiers_uemoa(MINOR, "nni")
    rails = [
        mobile_money("orange_money", payout=False),
        mobile_money("mtn_momo"),
        mobile_money("wave"),
        mobile_money("cinetpay"),
    ]
    vat_rate_bps = 1800
    vat_name = "TVA"
    vat_source = "Code général des impôts (art. 359): TVA 18 % (taux normal)"


adapter = CoteDIvoire()
