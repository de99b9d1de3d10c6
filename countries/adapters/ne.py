"""Niger: XOF, ARCEP numbering plan, CNI, BCEAO tiers, TVA 19 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, mobile_money
from countries.kyc import KycScheme, tiers_uemoa

MINOR = 0


class Niger(CountryAdapter):
    code = "NE"
    name = "Niger"
    currency = "XOF"
    minor_unit = MINOR
    currency_symbol = "CFA"
    currency_aliases = ("F CFA", "FCFA", "XOF")
    languages = ["fr"]
    default_language = "fr"
    kyc_schemes = [
        KycScheme(code="cni", label=_("National ID card number (CNI)"), pattern=r"[A-Z0-9]{8,15}",
                  example="NE12345678", issuer="Direction de l'État Civil"),
    ]
    kyc_tiers = tiers_uemoa(MINOR, "cni")
    rails = [mobile_money("airtel_money"), mobile_money("cinetpay")]
    vat_rate_bps = 1900
    vat_name = "TVA"
    vat_source = "Code général des impôts (art. 221): TVA 19 %"


adapter = Niger()
