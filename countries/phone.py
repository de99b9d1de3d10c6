"""Phone numbers: E.164 normalisation with ``phonenumbers``; operator detection from prefix data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import phonenumbers
from django.utils.translation import gettext_lazy as _
from phonenumbers import PhoneNumberType

from .errors import InvalidPhoneNumber

DATA_DIR = Path(__file__).resolve().parent / "data" / "networks"
MOBILE_TYPES = {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}


@dataclass(frozen=True)
class Network:
    key: str  # lowercase operator key: "mtn", "glo", "orange", ...
    name: str
    prefixes: tuple[str, ...]  # of the national significant number


@dataclass(frozen=True)
class NumberingPlan:
    country: str
    calling_code: int
    networks: tuple[Network, ...]
    source: str

    def network_for(self, national_number: str) -> str | None:
        """Longest matching prefix wins (``7025`` MTN before ``702`` anything; between networks listing the same
        prefix, the first listed)."""
        table = self.__dict__.get("_prefix_table")
        if table is None:
            table = _prefix_table(self)
            object.__setattr__(self, "_prefix_table", table)  # not a field: equality and hash ignore it
        by_prefix, lengths = table
        for length in lengths:
            key = by_prefix.get(national_number[:length]) if len(national_number) >= length else None
            if key is not None:
                return key
        return None


def _prefix_table(plan: NumberingPlan) -> tuple[dict[str, str], tuple[int, ...]]:
    """A plan's prefixes -> network key (the first network listing it), and their lengths, longest first."""
    by_prefix: dict[str, str] = {}
    for network in plan.networks:
        for prefix in network.prefixes:
            by_prefix.setdefault(prefix, network.key)
    return by_prefix, tuple(sorted({len(prefix) for prefix in by_prefix}, reverse=True))


@cache
def load_numbering_plan(country: str) -> NumberingPlan:
    raw = json.loads((DATA_DIR / f"{country}.json").read_text(encoding="utf-8"))
    networks = tuple(Network(key=key, name=item["name"], prefixes=tuple(item["prefixes"]))
                     for key, item in raw["networks"].items())
    return NumberingPlan(country=raw["country"], calling_code=int(raw["calling_code"]), networks=networks,
                         source=raw["source"])


# Numbers parsed and accepted lately, per (text, country, mobile_only) -> PhoneNumber: a purchase parses its
# recipient more than once (the number as typed, then its E.164 form). parse_phone is a pure function of its
# arguments (phonenumbers' metadata is fixed per release); refusals are never kept (their message is
# translated when raised).
_PARSED: dict[tuple[str, str, bool], phonenumbers.PhoneNumber] = {}
_PARSED_MAX = 8192


def parse_phone(raw: str, *, country: str, mobile_only: bool = True) -> phonenumbers.PhoneNumber:
    """Parse a number written locally (``0803…``), internationally (``+234…``, ``00234…``) or bare (``234…``)."""
    if isinstance(raw, str):
        kept = _PARSED.get((raw, country, mobile_only))
        if kept is not None:
            return _copy(kept)  # PhoneNumber is mutable
    number = _parse_phone(raw, country=country, mobile_only=mobile_only)
    if len(_PARSED) >= _PARSED_MAX:
        _PARSED.clear()
    kept = _copy(number)
    _PARSED[(raw, country, mobile_only)] = kept
    e164 = to_e164(kept)  # its E.164 form parses to the same number, mobile or not
    _PARSED[(e164, country, False)] = kept
    if mobile_only:
        _PARSED[(e164, country, True)] = kept
    return number


def _copy(number: phonenumbers.PhoneNumber) -> phonenumbers.PhoneNumber:
    copy = phonenumbers.PhoneNumber()
    copy.merge_from(number)
    return copy


def _parse_phone(raw: str, *, country: str, mobile_only: bool) -> phonenumbers.PhoneNumber:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidPhoneNumber(_("A phone number is required."), code="invalid_phone")
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, country)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(_("%(number)s is not a phone number.") % {"number": raw.strip()},
                                 code="invalid_phone")
    region = phonenumbers.region_code_for_number(number)
    if region != country and phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(
            _("%(number)s is a number from another country (%(region)s), not %(country)s.") % {
                "number": raw.strip(), "region": region or "?", "country": country},
            code="wrong_country")
    if number.country_code != phonenumbers.country_code_for_region(country):
        raise InvalidPhoneNumber(
            _("%(number)s is not a number of %(country)s.") % {"number": raw.strip(), "country": country},
            code="wrong_country")
    # The number's type, worked out once: with the number's region the country itself (the usual case) the
    # type is read from the same metadata as is_valid_number_for_region reads, and UNKNOWN means invalid.
    kind = phonenumbers.number_type(number) if region == country else None
    if kind == PhoneNumberType.UNKNOWN or (kind is None and not phonenumbers.is_valid_number_for_region(number,
                                                                                                       country)):
        raise InvalidPhoneNumber(
            _("%(number)s is not a valid phone number in %(country)s.") % {"number": raw.strip(),
                                                                           "country": country},
            code="invalid_phone")
    if mobile_only and (kind if kind is not None else phonenumbers.number_type(number)) not in MOBILE_TYPES:
        raise InvalidPhoneNumber(_("%(number)s is not a mobile number.") % {"number": raw.strip()},
                                 code="invalid_phone")
    return number


def to_e164(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_significant_number(number: phonenumbers.PhoneNumber) -> str:
    return phonenumbers.national_significant_number(number)
