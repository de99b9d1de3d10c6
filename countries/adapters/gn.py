"""Guinea: GNF (no minor unit in practice), ARPT numbering plan, NIFp (Luhn) and CNI, TVA 18 %."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, mobile_money
from countries.kyc import KycScheme, luhn_ok, tiers_three

MINOR = 0


class Guinea(CountryAdapter):
    code = "GN"
    name = "Guinea"
    currency = "GNF"
    minor_unit = MINOR
    currency_symbol = "FG"
    currency_aliases = ("GNF", "FGN")
    languages = ["fr"]
    default_language = "fr"
    kyc_schemes = [
        # Biometric national ID card number (letters and digits); verified online at KYC.
        KycScheme(code="cni", label=_("National ID card number (CNI)"), pattern=r"[A-Z0-9]{8,15}",
                  example="GN12345678", issuer="Ministère de la Sécurité"),
        # Numéro d'Identification Fiscale permanent: 9 digits, the last a Luhn check digit (DGI cahier des charges).
        KycScheme(code="nifp", label=_("Tax identifier (NIFp)"), pattern=r"\d{9}", example="693770885",
                  issuer="DGI Guinée", checksum=luhn_ok, level_hint=2),
    ]
    kyc_tiers = tiers_three(MINOR, "cni", unverified=(500_000, 1_000_000, 2_000_000),
                            identified=(5_000_000, 10_000_000, 20_000_000), full=(20_000_000, 50_000_000))
    rails = [mobile_money("orange_money", payout=False), mobile_money("mtn_momo"), mobile_money("cinetpay")]
    vat_rate_bps = 1800
    vat_name = "TVA"
    vat_source = "Code général des impôts (art. 362): TVA 18 %"


adapter = Guinea()
