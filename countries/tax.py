"""Which taxes a country charges on what, and how much, in integer minor units.

A country adapter states its taxes as :class:`TaxRule` values (``CountryAdapter.tax_rules``): the VAT on
the platform's own income from a sale (the fee or margin it keeps), built from ``vat_rate_bps`` so a
deployment override of the VAT rate changes what is charged, plus the country's levies (Ghana's NHIL and
GETFund, Nigeria's Electronic Money Transfer Levy on transfers). Two things are taxed:

* ``sale_income``: the selling tenant's retained income on a sale (its revenue line; agents' commissions
  are the agents' income). Percentage rules only. ``inclusive`` (the default in every adapter): the tax is
  carved out of that income, which the customer already pays; ``exclusive``: added on top of the price.
* ``transfer``: a customer's transfer out of a wallet (P2P, bank, mobile money). Fixed levies charged to
  the sender on top of the amount, when the amount reaches the rule's threshold.

Rounding (documented in docs/tax.md): inclusive taxes split a gross ``G`` with total rate ``R`` (basis
points) so that ``net + sum(taxes) == G`` exactly. The exact tax ``i`` is ``G * r_i / (10 000 + R)``; each
is floored, and the minor units left over (``G - round_half_up(G * 10 000 / (10 000 + R)) - sum(floors)``)
go one each to the largest fractional remainders (ties: the rule's order). So the net is within half a
minor unit of the exact net and every tax line within one minor unit of its exact value. Exclusive
percentage taxes are ``round_half_up(base * r / 10 000)`` each. Fixed levies are exact.

Pure Python: this module imports no other project package (countries/ depends on nothing).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from datetime import date

SALE_INCOME = "sale_income"
TRANSFER = "transfer"
TAX_BASES = (SALE_INCOME, TRANSFER)

VAT = "vat"
LEVY = "levy"


@dataclasses.dataclass(frozen=True)
class TaxRule:
    """One tax of one country.

    ``code``: stable key (``vat``, ``nhil``, ``getfund``, ``covid``, ``emtl``); its ledger account is
    ``tax_payable_vat`` for VAT and ``tax_payable_levy_<code>`` for a levy (tests/tax check every adapter's
    codes have an account kind). ``rate_bps`` (percentage rules) or ``fixed_minor`` (a flat amount in the
    currency's minor units), never both. ``threshold_minor``: the rule applies from this amount (inclusive).
    ``valid_from`` / ``valid_to`` (inclusive): the dates the rule is law; ``source``: the law and year.
    """

    code: str
    name: str
    kind: str  # VAT or LEVY
    applies_to: str  # SALE_INCOME or TRANSFER
    rate_bps: int = 0
    fixed_minor: int = 0
    inclusive: bool = True
    threshold_minor: int = 0
    valid_from: date | None = None
    valid_to: date | None = None
    source: str = ""

    def __post_init__(self) -> None:
        if self.kind not in (VAT, LEVY) or self.applies_to not in TAX_BASES:
            raise ValueError(f"tax rule {self.code}: unknown kind or base")
        if (self.rate_bps > 0) == (self.fixed_minor > 0) or self.rate_bps < 0 or self.fixed_minor < 0:
            raise ValueError(f"tax rule {self.code}: give exactly one of rate_bps or fixed_minor")
        if self.fixed_minor and self.inclusive:
            raise ValueError(f"tax rule {self.code}: a fixed levy is charged on top (inclusive=False)")
        if len(self.account_kind) > 24:
            raise ValueError(f"tax rule {self.code}: code too long for a ledger account kind")

    @property
    def account_kind(self) -> str:
        """The ledger system account the tax is owed on (a liability until paid to the revenue authority)."""
        return "tax_payable_vat" if self.kind == VAT else f"tax_payable_levy_{self.code}"

    def in_force(self, on: date | None) -> bool:
        if on is None:
            return True
        return (self.valid_from is None or on >= self.valid_from) and (self.valid_to is None or on <= self.valid_to)


@dataclasses.dataclass(frozen=True)
class TaxAmount:
    """One tax computed on one sale or transfer: what the receipt line, the ledger line and the report show."""

    code: str
    name: str
    kind: str
    account_kind: str
    rate_bps: int  # 0 for a fixed levy
    base_minor: int  # what the tax was computed on (the net income; the transfer amount)
    amount_minor: int
    included: bool  # contained in the amount (carved out) rather than added to it

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> TaxAmount:
        fields = _FIELD_NAMES.get(cls)
        if fields is None:
            fields = _FIELD_NAMES[cls] = frozenset(field.name for field in dataclasses.fields(cls))
        return cls(**{key: value for key, value in data.items() if key in fields})


_FIELD_NAMES: dict[type, frozenset[str]] = {}  # a dataclass's field names never change


@dataclasses.dataclass(frozen=True)
class TaxSplit:
    """A gross amount split into its net and its taxes: ``net_minor + included taxes == gross_minor``;
    ``added_minor`` (exclusive taxes) is charged on top of the gross."""

    gross_minor: int
    net_minor: int
    taxes: tuple[TaxAmount, ...]

    @property
    def included_minor(self) -> int:
        return sum(tax.amount_minor for tax in self.taxes if tax.included)

    @property
    def added_minor(self) -> int:
        return sum(tax.amount_minor for tax in self.taxes if not tax.included)


def half_up_div(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, for non-negative integers (no floats)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("non-negative numerator and positive denominator only")
    return (2 * numerator + denominator) // (2 * denominator)


def _rules_for(rules: Iterable[TaxRule], applies_to: str, on: date | None) -> list[TaxRule]:
    return [rule for rule in rules if rule.applies_to == applies_to and rule.in_force(on)]


def _amount(rule: TaxRule, *, base: int, amount: int) -> TaxAmount:
    return TaxAmount(code=rule.code, name=rule.name, kind=rule.kind, account_kind=rule.account_kind,
                     rate_bps=rule.rate_bps, base_minor=base, amount_minor=amount, included=rule.inclusive)


def split_sale_income(rules: Sequence[TaxRule], *, gross_minor: int, on: date | None = None) -> TaxSplit:
    """The taxes on a sale's retained income ``gross_minor`` (inclusive ones carved out, exclusive added)."""
    if not isinstance(gross_minor, int) or isinstance(gross_minor, bool):
        raise TypeError("amounts are integers in minor units")
    applicable = [rule for rule in _rules_for(rules, SALE_INCOME, on) if rule.rate_bps and
                  gross_minor >= rule.threshold_minor]
    if gross_minor <= 0 or not applicable:
        return TaxSplit(gross_minor=gross_minor, net_minor=gross_minor, taxes=())
    inclusive = [rule for rule in applicable if rule.inclusive]
    total_rate = sum(rule.rate_bps for rule in inclusive)
    denominator = 10_000 + total_rate
    net = half_up_div(gross_minor * 10_000, denominator) if inclusive else gross_minor
    to_share = gross_minor - net
    shares = []
    for index, rule in enumerate(inclusive):
        whole, remainder = divmod(gross_minor * rule.rate_bps, denominator)
        shares.append([whole, remainder, index])
    leftover = to_share - sum(share[0] for share in shares)
    for share in sorted(shares, key=lambda item: (-item[1], item[2]))[:leftover]:
        share[0] += 1
    amounts = {rule.code: share[0] for rule, share in zip(inclusive, shares, strict=True)}
    taxes = []
    for rule in applicable:
        if rule.inclusive:
            amount = amounts[rule.code]
        else:
            amount = half_up_div(net * rule.rate_bps, 10_000)
        if amount:
            taxes.append(_amount(rule, base=net, amount=amount))
    return TaxSplit(gross_minor=gross_minor, net_minor=net, taxes=tuple(taxes))


def transfer_levies(rules: Sequence[TaxRule], *, amount_minor: int, on: date | None = None) -> tuple[TaxAmount, ...]:
    """The levies charged to the sender of a transfer of ``amount_minor`` (on top of the amount)."""
    taxes = []
    for rule in _rules_for(rules, TRANSFER, on):
        if amount_minor < max(rule.threshold_minor, 1):
            continue
        amount = rule.fixed_minor or half_up_div(amount_minor * rule.rate_bps, 10_000)
        if amount:
            taxes.append(dataclasses.replace(_amount(rule, base=amount_minor, amount=amount), included=False))
    return tuple(taxes)


def vat_rule(*, rate_bps: int, name: str = "VAT", inclusive: bool = True, source: str = "") -> TaxRule | None:
    """The VAT rule on sale income at ``rate_bps`` (None when the country charges none)."""
    if rate_bps <= 0:
        return None
    return TaxRule(code=VAT, name=name, kind=VAT, applies_to=SALE_INCOME, rate_bps=rate_bps, inclusive=inclusive,
                   source=source)
