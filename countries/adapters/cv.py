"""Cabo Verde: CVE (centavos), ARME numbering plan, NIF, BCV-style tiers, IVA 15 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter
from countries.kyc import KycScheme, tiers_three

MINOR = 2


class CaboVerde(CountryAdapter):
    code = "CV"
    name = "Cabo Verde"
    currency = "CVE"
    minor_unit = MINOR
    currency_symbol = "CVE"
    currency_aliases = ("Esc", "ESC")
    languages = ["pt"]
    default_language = "pt"
    kyc_schemes = [
        # Número de Identificação Fiscal: 9 digits; 1 = a person (followed by the BI number), 2 = a company.
        KycScheme(code="nif", label=_("Tax identification number (NIF)"), pattern=r"1\d{8}", example="123456789",
                  issuer="DNRE / Ministério das Finanças"),
    ]
    kyc_tiers = tiers_three(MINOR, "nif", unverified=(5_000, 10_000, 20_000), identified=(50_000, 100_000, 300_000),
                            full=(200_000, 500_000))
    rails = []  # no provider rail reaches Cape Verde yet: agent cash-in/cash-out is the way in and out
    vat_rate_bps = 1500
    vat_name = "IVA"
    vat_source = "Código do IVA (Lei 21/VI/2003, taxa normal 15 % since 2024 Orçamento do Estado)"


adapter = CaboVerde()
