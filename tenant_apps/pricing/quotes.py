"""The price of one sale, and who earns what from it.

``quote_price`` is the single place the purchase path asks "how much does this
buyer pay, and where does the money go?". Its :class:`PriceQuote` is stored on
the order (``breakdown()``) and drives the settlement entry: the buyer's hold
pays ``cost_minor`` (the provider cost) to provider settlement and each
:class:`QuoteLine` to its account, so ``cost_minor + sum(lines) == price_minor``.

The cascade (tenant_apps.pricing.engine): provider cost -> the country
operation's price (its rules) -> for a reseller brand, the reseller's price over
that (its rules) -> agent commissions for the selling agent's chain, paid out
of the selling tenant's own margin. Lines:

* country operation: ``revenue`` (operator margin, net of commissions);
* reseller brand: ``provider_settlement`` for the operator's margin (with the
  cost it is what the reseller owes upstream, drawn from its float on
  settlement), ``revenue`` (reseller margin, net of commissions);
* ``commissions_payable`` per agent and level (paid out by the ``sale_settled`` hook, tenant_apps.agents.sales);
* ``tax_payable_vat`` / ``tax_payable_levy_<code>`` (party ``tax:<code>``): the country's taxes on the
  seller's retained income (its revenue line), carved out of it when inclusive (every adapter today) or
  added to the price when exclusive; ``taxes`` lists them with their base and rate for receipts and
  reports (countries/tax.py, docs/tax.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from countries.registry import display_minor, message_minor
from countries.tax import TaxAmount, split_sale_income
from shared_apps.core.errors import ApiError

from .engine import TenantPricing, commission_split, load_tenant_pricing, price_cascade


class InvalidPurchaseAmount(ApiError):
    code = "invalid_amount"


@dataclass(frozen=True)
class QuoteLine:
    """One share of the margin: ``account_kind`` is a ledger AccountKind (``revenue``,
    ``commissions_payable``, ``provider_settlement``...); ``party`` says who earns it
    (``operator``, ``reseller``, ``agent:<public_id>``); ``level`` is the agent tier (0 otherwise)."""

    account_kind: str
    amount_minor: int
    party: str = "operator"
    level: int = 0


@dataclass(frozen=True)
class PriceQuote:
    product_id: int
    currency: str
    face_value_minor: int
    price_minor: int
    cost_minor: int
    lines: tuple[QuoteLine, ...] = field(default_factory=tuple)
    # The selling tenant's own cost: the provider cost, or for a reseller its parent's price.
    tenant_cost_minor: int | None = None
    tenant_kind: str = ""
    rules: dict = field(default_factory=dict)
    taxes: tuple[TaxAmount, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.cost_minor + sum(line.amount_minor for line in self.lines) != self.price_minor:
            raise ValueError("a quote's cost and lines must add up to its price")

    def breakdown(self) -> dict:
        """``dataclasses.asdict(self)``, ~8x cheaper (stored on every order; tests/pricing/test_breakdown.py)."""
        return _as_plain(self)

    def lines_for(self, party_prefix: str) -> list[QuoteLine]:
        return [line for line in self.lines if line.party.startswith(party_prefix)]


_PLAIN_TYPES = (int, str, bool, float, type(None))


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _field_names(cls: Any) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(item.name for item in fields(cls))
    return names


_PLAIN = frozenset(_PLAIN_TYPES)


def _as_plain(value: Any) -> Any:
    """``dataclasses.asdict``'s conversion (dataclasses to dicts, containers rebuilt, other values deep-copied)
    for the quote's shapes, without its per-value generic dispatch (a dataclass known by its type)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None and is_dataclass(kind):  # an instance's type: asdict's is_dataclass(value), not a class
        names = _field_names(kind)
    if names is not None:
        return {name: _as_plain(getattr(value, name)) for name in names}
    if kind is tuple or kind is list:
        return kind(_as_plain(item) for item in value)
    if kind is dict:
        return {_as_plain(key): _as_plain(item) for key, item in value.items()}
    return _asdict_value(value)


def _asdict_value(value: Any) -> Any:
    """Any other value as ``asdict`` treats it (named tuples, dict subclasses, deep copies)."""
    return asdict(_Holder(value))["value"]


@dataclass(frozen=True)
class _Holder:
    value: Any


def _face_value(product, amount_minor) -> int:
    if not product.is_open_amount:
        return product.face_value_minor if product.face_value_minor is not None else product.cost_price_minor
    if amount_minor is None or not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
        raise InvalidPurchaseAmount(gettext("This product needs an amount."), fields={"amount": [gettext("Required.")]})
    low, high = product.min_amount_minor or 0, product.max_amount_minor
    if amount_minor < low or (high is not None and amount_minor > high) or amount_minor <= 0:
        accepted = amount_range_text(low=low, high=high, currency=product.currency)
        raise InvalidPurchaseAmount(gettext("The amount is outside this product's range.") + " " + accepted,
                                    fields={"amount": [accepted]})
    return amount_minor


def amount_range_text(*, low: int | None, high: int | None, currency: str, phone: bool = False) -> str:
    """What an open-amount product accepts, in the active language with the country's money format: "From ₦50.00
    to ₦50,000.00." (pages and the API), ``phone``: the SMS / USSD format ("From 100 CFA to 50 000 CFA.")."""
    write = message_minor if phone else display_minor
    low = max(low or 0, 1)  # nothing below one minor unit is an amount
    if high is None:
        return gettext("At least %(minimum)s.") % {"minimum": write(low, currency)}
    return gettext("From %(minimum)s to %(maximum)s.") % {"minimum": write(low, currency),
                                                         "maximum": write(high, currency)}


def _agent_chain(buyer) -> list:
    if buyer is None or getattr(buyer, "role", "") != "agent":
        return []
    from tenant_apps.agents.selectors import agent_chain  # lazy: agents depends on pricing, not the reverse

    return agent_chain(user=buyer)


def quote_price(*, product, amount_minor: int | None = None, buyer=None,
                pricing: TenantPricing | None = None) -> PriceQuote:
    """Quote ``product`` (``amount_minor`` = face value for open-amount products) for ``buyer``."""
    face = _face_value(product, amount_minor)
    return quote_for_face(product=product, face_minor=face, buyer=buyer, pricing=pricing)


def quote_for_face(*, product, face_minor: int, buyer=None, pricing: TenantPricing | None = None) -> PriceQuote:
    """The quote without the amount-range check (the listing uses it for a reference amount)."""
    pricing = pricing or load_tenant_pricing()
    cascade = price_cascade(product=product, face_minor=face_minor, pricing=pricing)
    own_party = "reseller" if pricing.parent is not None else "operator"
    lines: list[QuoteLine] = []
    if cascade.parent_price is not None and cascade.parent_price != cascade.provider_cost:
        lines.append(QuoteLine("provider_settlement", cascade.parent_price - cascade.provider_cost, "operator"))
    margin = cascade.price - cascade.tenant_cost
    shares = commission_split(price_minor=cascade.price, margin_minor=margin, chain=_agent_chain(buyer),
                              tiers=pricing.tiers, allow_below_cost=pricing.allow_below_cost)
    commissions = [QuoteLine("commissions_payable", amount, f"agent:{agent.public_id}", level)
                   for agent, level, amount in shares]
    own = margin - sum(line.amount_minor for line in commissions)
    taxes = split_sale_income(pricing.tax_rules, gross_minor=own, on=timezone.localdate()) \
        if pricing.tax_rules and own > 0 else None
    price = cascade.price
    if taxes is not None and taxes.taxes:
        own = taxes.net_minor  # inclusive taxes come out of the income; exclusive ones are added to the price
        price += taxes.added_minor
    if own:
        lines.append(QuoteLine("revenue", own, own_party))
    for tax in taxes.taxes if taxes is not None else ():
        lines.append(QuoteLine(tax.account_kind, tax.amount_minor, f"tax:{tax.code}"))
    lines.extend(commissions)
    rules = {own_party: cascade.own_markup.source}
    if cascade.parent_markup is not None:
        rules["operator"] = cascade.parent_markup.source
    return PriceQuote(product_id=product.pk, currency=product.currency, face_value_minor=face_minor,
                      price_minor=price, cost_minor=cascade.provider_cost, lines=tuple(lines),
                      tenant_cost_minor=cascade.tenant_cost, tenant_kind=pricing.kind, rules=rules,
                      taxes=taxes.taxes if taxes is not None else ())
