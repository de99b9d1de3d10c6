"""Liberia: LRD (cents), LTA numbering plan, NIR national ID, CBL-style tiers, GST 10 % (VAT announced)."""

from django.utils.translation import gettext_lazy as _

from countries.base import CountryAdapter, mobile_money
from countries.kyc import KycScheme, tiers_three

MINOR = 2


class Liberia(CountryAdapter):
    code = "LR"
    name = "Liberia"
    currency = "LRD"
    minor_unit = MINOR
    currency_symbol = "L$"
    currency_aliases = ("LD$", "LRD")
    languages = ["en"]
    default_language = "en"
    kyc_schemes = [
        # National Identification Registry card number (letters and digits); verified online at KYC.
        KycScheme(code="nir", label=_("National ID number (NIR)"), pattern=r"[A-Z0-9]{8,12}",
                  example="LR12345678", issuer="National Identification Registry"),
    ]
    kyc_tiers = tiers_three(MINOR, "nir", unverified=(5_000, 10_000, 20_000), identified=(50_000, 100_000, 300_000),
                            full=(200_000, 500_000))
    rails = [mobile_money("mtn_momo"), mobile_money("orange_money", payout=False)]
    # Liberia still levies GST (10 % general rate); an 18 % VAT is announced: override when it applies.
    vat_rate_bps = 1000
    vat_name = "GST"
    vat_source = "Revenue Code of Liberia (Act 2000, amended 2016): GST 10 % on services"


adapter = Liberia()
