"""Mali: XOF, AMRTP numbering plan, NINA, BCEAO tiers, TVA 18 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, mobile_money
from countries.kyc import KycScheme, tiers_uemoa

MINOR = 0


class Mali(CountryAdapter):
    code = "ML"
    name = "Mali"
    currency = "XOF"
    minor_unit = MINOR
    currency_symbol = "CFA"
    currency_aliases = ("F CFA", "FCFA", "XOF")
    languages = ["fr"]
    default_language = "fr"
    kyc_schemes = [
        # Numéro d'Identification NAtionale (RAVEC): 14 digits and a letter.
        KycScheme(code="nina", label=_("National Identification Number (NINA)"), pattern=r"\d{14}[A-Z]",
                  example="12345678901234A", issuer="Centre de Traitement des Données de l'État Civil"),
    ]
    kyc_tiers = tiers_uemoa(MINOR, "nina")
    rails = [mobile_money("orange_money", payout=False), mobile_money("wave"), mobile_money("cinetpay")]
    vat_rate_bps = 1800
    vat_name = "TVA"
    vat_source = "Code général des impôts (art. 200): TVA 18 %"


adapter = Mali()
