"""The country adapter interface: everything the core may ask about a country.

A concrete adapter is a subclass filling in the class attributes (see
``countries/adapters/ng.py``); the registry discovers it, applies any
per-deployment override from the database, and hands out the result.
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import date
from typing import Any, ClassVar

from moneyed import Money

from . import money as money_rules
from .kyc import KycScheme, KycTier
from .phone import NumberingPlan, load_numbering_plan, national_significant_number, parse_phone, to_e164
from .retention import Retention
from .tax import TaxAmount, TaxRule, TaxSplit, split_sale_income, transfer_levies, vat_rule


@dataclasses.dataclass(frozen=True)
class Rail:
    """A way money enters (``funding``) or leaves (``payout``) a wallet in this country.

    ``key`` is a provider plugin key (``wave``, ``mtn_momo``...) or a rail without a provider API
    (``agent``: cash at an agent, which works in every country). ``kind``: ``card`` (card and bank
    checkout), ``mobile_money``, ``bank_transfer`` or ``agent``. Only rails that exist are listed:
    a plugin that serves the country in that direction (tests/countries/test_rails.py checks it).
    """

    key: str
    kind: str
    funding: bool = True
    payout: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "funding": self.funding, "payout": self.payout}


def card(key: str, *, payout: bool = True) -> Rail:
    return Rail(key, "card", funding=True, payout=payout)


def mobile_money(key: str, *, funding: bool = True, payout: bool = True) -> Rail:
    return Rail(key, "mobile_money", funding=funding, payout=payout)


def bank_payout(key: str) -> Rail:
    """A transfer out to a bank account (name enquiry, then send)."""
    return Rail(key, "bank_transfer", funding=False, payout=True)


# Cash handed to an agent (tenant_apps.cash): in and out, in every country, no provider needed.
AGENT_RAIL = Rail("agent", "agent", funding=True, payout=True)


class CountryAdapter:
    code: ClassVar[str]  # ISO 3166-1 alpha-2
    name: ClassVar[str]  # English name; see local_name() for other languages
    currency: ClassVar[str]  # ISO 4217
    minor_unit: ClassVar[int]  # ISO 4217 exponent
    currency_symbol: ClassVar[str]
    currency_aliases: ClassVar[tuple[str, ...]] = ()
    languages: list[str]  # UI/content languages, official ones first (en, fr, pt; ar where official)
    default_language: str
    kyc_schemes: list[KycScheme]
    kyc_tiers: list[KycTier]
    rails: list[Rail] = []  # how money gets in and out here (see Rail); ``gateways`` derives from it
    vat_rate_bps: int  # basis points: 7.5 % -> 750; the VAT on sale income (see tax_rules)
    vat_name: str = "VAT"  # as the law names it (TVA, IVA, GST): shown on receipts and reports
    vat_inclusive: bool = True  # carved out of the income (prices include it) rather than added on top
    vat_source: str = ""  # the law and year of the rate
    levies: tuple[TaxRule, ...] = ()  # the country's other taxes on sale income or transfers (countries/tax.py)
    enabled: bool = True
    retention: ClassVar[Retention] = Retention()  # record-keeping periods (countries/retention.py)

    # ----- rails -------------------------------------------------------------------------
    _gateways_override: list[str] | None = None

    @property
    def gateways(self) -> list[str]:
        """Plugin keys the provider registry matches (the rails that have a provider), in order; a
        deployment override (``CountryOverride.gateways``) replaces the list."""
        if self._gateways_override is not None:
            return list(self._gateways_override)
        return [rail.key for rail in self.rails if rail.kind != "agent"]

    @gateways.setter
    def gateways(self, keys: list[str]) -> None:
        self._gateways_override = list(keys)

    @property
    def active_rails(self) -> list[Rail]:
        """The rails in use: the declared ones, narrowed (and ordered) by a gateway override; rails
        without a provider (agent) are always kept. An overridden key the adapter does not declare is
        listed as funding only (a deployment's own gateway)."""
        agent = [rail for rail in self.rails if rail.kind == "agent"] or [AGENT_RAIL]
        if self._gateways_override is None:
            return [rail for rail in self.rails if rail.kind != "agent"] + agent
        declared = {rail.key: rail for rail in self.rails}
        chosen = [declared.get(key) or Rail(key, "other") for key in self._gateways_override]
        return chosen + agent

    # ----- identity -------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.code} {self.currency}>"

    def local_name(self, locale: str | None = None) -> str:
        """django-countries' name in ``locale`` (``"Sénégal"`` in French), else in the country's language."""
        from django.utils import translation

        from .fields import country_name

        with translation.override((locale or self.default_language).split("-")[0].split("_")[0]):
            return country_name(self.code) or self.name

    # ----- money ------------------------------------------------------------------------
    @property
    def currency_info(self) -> money_rules.CurrencyInfo:
        return money_rules.CurrencyInfo(code=self.currency, minor_unit=self.minor_unit,
                                        symbol=self.currency_symbol, aliases=self.currency_aliases)

    def to_minor(self, decimal_str: str) -> int:
        return money_rules.to_minor(decimal_str, minor_unit=self.minor_unit)

    def from_minor(self, minor: int) -> str:
        return money_rules.from_minor(minor, minor_unit=self.minor_unit)

    def money(self, minor: int) -> Money:
        try:
            return money_rules.money_of(minor, self.currency)
        except money_rules.AmountError as exc:
            raise money_rules.InvalidAmount(money_rules.amount_error_message(exc), code=exc.code) from None

    def format_amount(self, minor: int, *, locale: str | None = None) -> str:
        return money_rules.format_minor(minor, currency=self.currency_info, locale=locale or self.default_language)

    def parse_amount(self, text: str) -> int:
        return money_rules.parse_minor(text, currency=self.currency_info)

    def vat_minor(self, net_minor: int) -> int:
        """VAT on a net amount, rounded half up to the minor unit, in integers."""
        return (net_minor * self.vat_rate_bps + 5_000) // 10_000

    # ----- taxes (countries/tax.py; docs/tax.md) -----------------------------------------
    @property
    def tax_rules(self) -> tuple[TaxRule, ...]:
        """Every tax this country charges: the VAT on sale income at ``vat_rate_bps`` (a deployment override
        of the rate applies), then the levies."""
        vat = vat_rule(rate_bps=int(self.vat_rate_bps or 0), name=self.vat_name, inclusive=self.vat_inclusive,
                       source=self.vat_source)
        return ((vat,) if vat else ()) + tuple(self.levies)

    def sale_taxes(self, *, income_minor: int, on: date | None = None) -> TaxSplit:
        """The taxes on a sale's retained income (the seller's fee or margin), in minor units."""
        return split_sale_income(self.tax_rules, gross_minor=income_minor, on=on)

    def transfer_taxes(self, *, amount_minor: int, on: date | None = None) -> tuple[TaxAmount, ...]:
        """The levies charged to the sender of a transfer, on top of the amount."""
        return transfer_levies(self.tax_rules, amount_minor=amount_minor, on=on)

    # ----- phones -------------------------------------------------------------------------
    @property
    def numbering_plan(self) -> NumberingPlan:
        return load_numbering_plan(self.code)

    @property
    def calling_code(self) -> int:
        return self.numbering_plan.calling_code

    def normalize_phone(self, raw: str, *, mobile_only: bool = True) -> str:
        """E.164 (``+2348031234567``); raises InvalidPhoneNumber(code="invalid_phone" | "wrong_country")."""
        return to_e164(parse_phone(raw, country=self.code, mobile_only=mobile_only))

    def detect_network(self, e164_or_raw: str) -> str | None:
        """Operator key from the prefix table (allocation-time operator: ports are not visible here)."""
        number = parse_phone(e164_or_raw, country=self.code, mobile_only=False)
        return self.numbering_plan.network_for(national_significant_number(number))

    def network_name(self, key: str) -> str | None:
        return next((n.name for n in self.numbering_plan.networks if n.key == key), None)

    @property
    def networks(self) -> list[str]:
        return [network.key for network in self.numbering_plan.networks]

    # ----- KYC ---------------------------------------------------------------------------
    def kyc_scheme(self, code: str) -> KycScheme:
        from .errors import InvalidKycNumber

        for scheme in self.kyc_schemes:
            if scheme.code == code:
                return scheme
        raise InvalidKycNumber(code="unknown_kyc_scheme")

    def kyc_tier(self, level: int) -> KycTier:
        for item in self.kyc_tiers:
            if item.level == level:
                return item
        raise LookupError(f"{self.code} has no KYC tier {level}")

    # ----- overrides ---------------------------------------------------------------------
    def with_overrides(self, override: dict[str, Any] | None) -> CountryAdapter:
        """A copy with a deployment's override applied (the class defaults stay untouched)."""
        if not override:
            return self
        adapted = copy.copy(self)
        if override.get("enabled") is not None:
            adapted.enabled = bool(override["enabled"])
        if override.get("vat_rate_bps") is not None:
            adapted.vat_rate_bps = int(override["vat_rate_bps"])
        if override.get("gateways") is not None:
            adapted.gateways = list(override["gateways"])
        if override.get("default_language"):
            adapted.default_language = override["default_language"]
        tier_limits = override.get("tier_limits") or {}
        if tier_limits:
            tiers = []
            for item in self.kyc_tiers:
                changes = tier_limits.get(str(item.level)) or {}
                allowed: dict[str, Any] = {k: int(v) if v is not None else None for k, v in changes.items()
                                           if k in ("single_limit_minor", "daily_limit_minor", "max_balance_minor")}
                tiers.append(dataclasses.replace(item, **allowed) if allowed else item)
            adapted.kyc_tiers = tiers
        return adapted
