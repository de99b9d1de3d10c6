"""Burkina Faso: XOF, ARCEP numbering plan, CNIB and IFU, BCEAO tiers, TVA 18 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, mobile_money
from countries.kyc import KycScheme, tiers_uemoa

MINOR = 0


class BurkinaFaso(CountryAdapter):
    code = "BF"
    name = "Burkina Faso"
    currency = "XOF"
    minor_unit = MINOR
    currency_symbol = "CFA"
    currency_aliases = ("F CFA", "FCFA", "XOF")
    languages = ["fr"]
    default_language = "fr"
    kyc_schemes = [
        # Carte Nationale d'Identité Burkinabè: a "B" followed by 7 or 8 digits.
        KycScheme(code="cnib", label=_("Burkinabe national ID card (CNIB)"), pattern=r"B\d{7,8}",
                  example="B12345678", issuer="ONI"),
        # Identifiant Financier Unique: 8 digits and a check letter.
        KycScheme(code="ifu", label=_("Tax identifier (IFU)"), pattern=r"\d{8}[A-Z]", example="00014729V",
                  issuer="DGI Burkina Faso", level_hint=2),
    ]
    kyc_tiers = tiers_uemoa(MINOR, "cnib")
    rails = [mobile_money("wave"), mobile_money("cinetpay"), mobile_money("orange_money", payout=False)]
    vat_rate_bps = 1800
    vat_name = "TVA"
    vat_source = "Code général des impôts 2018 (art. 317): TVA 18 %"


adapter = BurkinaFaso()
