"""Senegal: XOF (no minor unit), ARTP numbering plan, NIN on the ECOWAS ID card, BCEAO tiers, TVA 18 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, mobile_money
from countries.kyc import KycScheme, tiers_uemoa
from countries.retention import Retention

MINOR = 0


class Senegal(CountryAdapter):
    code = "SN"
    name = "Senegal"
    currency = "XOF"
    minor_unit = MINOR
    currency_symbol = "CFA"
    currency_aliases = ("F CFA", "FCFA", "XOF")
    languages = ["fr"]
    default_language = "fr"
    kyc_schemes = [
        # NIN printed on the CEDEAO biometric card (2016): 13 digits, the first is 1 (man) or 2 (woman).
        KycScheme(code="nin", label=_("National Identification Number (NIN)"), pattern=r"[12]\d{12}",
                  example="1751199700123", issuer="DAF (Direction de l'automatisation des fichiers)"),
    ]
    kyc_tiers = tiers_uemoa(MINOR, "nin")
    rails = [mobile_money("orange_money", payout=False), mobile_money("wave"), mobile_money("cinetpay")]
    vat_rate_bps = 1800
    vat_name = "TVA"
    vat_source = "Code général des impôts 2012 (art. 369): TVA 18 %"

    retention = Retention(transactions=10, kyc=10, provider_archive=5,
                          basis="Loi uniforme UEMOA LBC/FT 2016 (10 years); "
                                "Loi 2008-12 sur les donnees personnelles (CDP)")


adapter = Senegal()
