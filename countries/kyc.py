"""KYC schemes (identity-number formats with validators) and KYC tiers (limits)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from .errors import InvalidKycNumber

_NOISE = re.compile(r"[\s\-./]+")


def compact(value: str) -> str:
    """Drop spaces, dashes, dots and slashes; upper-case letters."""
    return _NOISE.sub("", value).upper()


@dataclass(frozen=True)
class KycScheme:
    """One identity-number scheme, e.g. Nigeria's BVN.

    ``validate`` compacts the input, checks it against ``pattern`` (and the
    ``checksum`` when the format has a published one) and returns the
    canonical form (``formatter``), which is what gets stored (encrypted).
    """

    code: str
    label: Any
    pattern: str  # full-match regex on the compacted value
    example: str
    issuer: str = ""
    checksum: Callable[[str], bool] | None = None
    formatter: Callable[[str], str] | None = None
    level_hint: int = 1  # the lowest tier this scheme typically unlocks

    def validate(self, value: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InvalidKycNumber(_("An identity number is required."), code="invalid_kyc_number")
        compacted = compact(value)
        if not re.fullmatch(self.pattern, compacted):
            raise InvalidKycNumber(
                _("%(value)s is not a valid %(label)s (expected something like %(example)s).") % {
                    "value": value.strip(), "label": self.label, "example": self.example},
                code="invalid_kyc_number")
        if self.checksum is not None and not self.checksum(compacted):
            raise InvalidKycNumber(
                _("%(value)s is not a valid %(label)s: the check digit does not match.") % {
                    "value": value.strip(), "label": self.label},
                code="kyc_checksum_mismatch")
        return self.formatter(compacted) if self.formatter else compacted

    def is_valid(self, value: str) -> bool:
        try:
            self.validate(value)
        except InvalidKycNumber:
            return False
        return True

    def as_dict(self) -> dict:
        return {"code": self.code, "label": str(self.label), "example": self.example, "issuer": self.issuer}


@dataclass(frozen=True)
class KycTier:
    """Limits in minor units of the country's currency; level 0 = unverified, phone only."""

    level: int
    name: Any
    single_limit_minor: int
    daily_limit_minor: int
    requires: tuple[str, ...] = field(default_factory=tuple)
    max_balance_minor: int | None = None

    def __post_init__(self) -> None:
        for value in (self.single_limit_minor, self.daily_limit_minor, self.max_balance_minor):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"KYC tier limits are non-negative integers of minor units, got {value!r}")


def tier(level: int, name: Any, *, single: int, daily: int, requires: tuple[str, ...],
         balance: int | None = None, minor_unit: int) -> KycTier:
    """Build a tier from whole currency units (readable data) into minor units."""
    scale = 10**minor_unit
    return KycTier(level=level, name=name, single_limit_minor=single * scale, daily_limit_minor=daily * scale,
                   requires=requires, max_balance_minor=None if balance is None else balance * scale)


def tiers_uemoa(minor_unit: int, national_id: str) -> list[KycTier]:
    """BCEAO e-money rules (Instruction n°008-05-2015): small unidentified wallets, then identified."""
    return [
        tier(0, _("Unverified"), single=50_000, daily=100_000, balance=200_000, requires=("phone",),
             minor_unit=minor_unit),
        tier(1, _("Identified"), single=500_000, daily=1_000_000, balance=2_000_000,
             requires=("phone", national_id), minor_unit=minor_unit),
        tier(2, _("Fully verified"), single=2_000_000, daily=5_000_000, balance=10_000_000,
             requires=("phone", national_id, "selfie", "address"), minor_unit=minor_unit),
    ]


# --- check digits -----------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = int(char)
        if index % 2 == 1:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def ghana_card_format(compacted: str) -> str:
    """``GHA7123456783`` -> ``GHA-712345678-3``."""
    return f"{compacted[:3]}-{compacted[3:12]}-{compacted[12:]}"


def tiers_three(minor_unit: int, national_id: str, *, unverified: tuple[int, int, int],
                identified: tuple[int, int, int], full: tuple[int, int]) -> list[KycTier]:
    """Three tiers from whole-unit (single, daily[, balance]) limits, for countries outside UEMOA."""
    return [
        tier(0, _("Unverified"), single=unverified[0], daily=unverified[1], balance=unverified[2],
             requires=("phone",), minor_unit=minor_unit),
        tier(1, _("Identified"), single=identified[0], daily=identified[1], balance=identified[2],
             requires=("phone", national_id), minor_unit=minor_unit),
        tier(2, _("Fully verified"), single=full[0], daily=full[1],
             requires=("phone", national_id, "selfie", "address"), minor_unit=minor_unit),
    ]
