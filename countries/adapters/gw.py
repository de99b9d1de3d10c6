"""Guinea-Bissau: XOF, ARN numbering plan, Bilhete de Identidade, BCEAO tiers, IVA 19 % (Lei 4/2022, 2025)."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, mobile_money
from countries.kyc import KycScheme, tiers_uemoa

MINOR = 0


class GuineaBissau(CountryAdapter):
    code = "GW"
    name = "Guinea-Bissau"
    currency = "XOF"
    minor_unit = MINOR
    currency_symbol = "CFA"
    currency_aliases = ("F CFA", "FCFA", "XOF")
    languages = ["pt"]
    default_language = "pt"
    kyc_schemes = [
        KycScheme(code="bi", label=_("Identity card number (BI)"), pattern=r"\d{6,12}", example="12345678",
                  issuer="Direção-Geral de Identificação Civil"),
    ]
    kyc_tiers = tiers_uemoa(MINOR, "bi")
    rails = [mobile_money("orange_money", payout=False)]
    vat_rate_bps = 1900
    vat_name = "IVA"
    vat_source = "Lei 4/2022 (Código do IVA, in force 2025): IVA 19 %"


adapter = GuineaBissau()
