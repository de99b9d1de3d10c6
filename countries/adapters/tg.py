"""Togo: XOF, ARCEP numbering plan, CNI and NIF (OTR), BCEAO tiers, TVA 18 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, mobile_money
from countries.kyc import KycScheme, tiers_uemoa

MINOR = 0


class Togo(CountryAdapter):
    code = "TG"
    name = "Togo"
    currency = "XOF"
    minor_unit = MINOR
    currency_symbol = "CFA"
    currency_aliases = ("F CFA", "FCFA", "XOF")
    languages = ["fr"]
    default_language = "fr"
    kyc_schemes = [
        KycScheme(code="cni", label=_("National ID card number (CNI)"), pattern=r"[A-Z0-9]{8,15}",
                  example="TG12345678", issuer="Direction Générale de la Documentation Nationale"),
        # Numéro d'Identification Fiscale: 10 digits (Office Togolais des Recettes).
        KycScheme(code="nif", label=_("Tax identification number (NIF)"), pattern=r"\d{10}", example="1000174915",
                  issuer="OTR", level_hint=2),
    ]
    kyc_tiers = tiers_uemoa(MINOR, "cni")
    rails = [mobile_money("cinetpay")]
    vat_rate_bps = 1800
    vat_name = "TVA"
    vat_source = "Code général des impôts (art. 193): TVA 18 %"


adapter = Togo()
