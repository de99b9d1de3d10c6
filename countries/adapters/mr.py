"""Mauritania: MRU (khoums, 2-digit in ISO 4217), ARE numbering plan, NNI, TVA 16 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter
from countries.kyc import KycScheme, tiers_three

MINOR = 2


class Mauritania(CountryAdapter):
    code = "MR"
    name = "Mauritania"
    currency = "MRU"
    minor_unit = MINOR
    currency_symbol = "UM"
    currency_aliases = ("MRU",)
    languages = ["ar", "fr"]  # Arabic is official; the UI speaks French until an Arabic catalogue exists
    default_language = "fr"
    kyc_schemes = [
        # Numéro National d'Identification: 10 digits (ANRPTS).
        KycScheme(code="nni", label=_("National Identification Number (NNI)"), pattern=r"\d{10}",
                  example="1234567890", issuer="ANRPTS"),
    ]
    kyc_tiers = tiers_three(MINOR, "nni", unverified=(2_000, 4_000, 10_000), identified=(20_000, 40_000, 100_000),
                            full=(100_000, 200_000))
    rails = []  # no provider rail reaches Mauritania yet: agent cash-in/cash-out is the way in and out
    vat_rate_bps = 1600
    vat_name = "TVA"
    vat_source = "Code général des impôts: TVA 16 % (taux normal)"


adapter = Mauritania()
