"""Benin: XOF, ARCEP numbering plan (10-digit "01" numbers since 2024), NPI (ANIP), BCEAO tiers, TVA 18 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, mobile_money
from countries.kyc import KycScheme, tiers_uemoa

MINOR = 0


class Benin(CountryAdapter):
    code = "BJ"
    name = "Benin"
    currency = "XOF"
    minor_unit = MINOR
    currency_symbol = "CFA"
    currency_aliases = ("F CFA", "FCFA", "XOF")
    languages = ["fr"]
    default_language = "fr"
    kyc_schemes = [
        # Numéro Personnel d'Identification: 10 digits, issued by ANIP, printed on the CIP and the biometric ID card.
        KycScheme(code="npi", label=_("Personal Identification Number (NPI)"), pattern=r"\d{10}",
                  example="1234567890", issuer="ANIP"),
        # Identifiant Fiscal Unique: 13 digits; a person's starts with 1 (man) or 2 (woman) then a year.
        KycScheme(code="ifu", label=_("Tax identifier (IFU)"), pattern=r"[12](19|20)\d{2}\d{8}",
                  example="1201910583176", issuer="DGI Bénin", level_hint=2),
    ]
    kyc_tiers = tiers_uemoa(MINOR, "npi")
    rails = [mobile_money("mtn_momo"), mobile_money("cinetpay")]
    vat_rate_bps = 1800
    vat_name = "TVA"
    vat_source = "Code général des impôts 2021 (art. 241): TVA 18 %"


adapter = Benin()
