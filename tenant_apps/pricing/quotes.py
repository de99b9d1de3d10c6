"""The price of one sale, and who earns what from it.

``quote_price`` is the single place the purchase path asks "how much does this
buyer pay, and where does the money go?". Its :class:`PriceQuote` is stored on
the order (``breakdown()``) and drives the settlement entry: the buyer's hold
pays ``cost_minor`` to provider settlement and each :class:`QuoteLine` to its
account, so ``cost_minor + sum(lines) == price_minor`` always holds.

The reseller issue extends this (operator price rules, reseller price over its
own cost, agent commission tiers) by adding lines, never by changing the shape.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from shared_apps.core.errors import ApiError

from .selectors import apply_margin_minor, apply_margin_rate_bp, tenant_margin_bp


class InvalidPurchaseAmount(ApiError):
    code = "invalid_amount"


@dataclass(frozen=True)
class QuoteLine:
    """One share of the margin: ``account_kind`` is a ledger AccountKind (``revenue``,
    ``commissions_payable``, ``fees``...); ``party`` says who earns it
    (``operator``, ``reseller``, ``agent:<public_id>``)."""

    account_kind: str
    amount_minor: int
    party: str = "operator"


@dataclass(frozen=True)
class PriceQuote:
    product_id: int
    currency: str
    face_value_minor: int
    price_minor: int
    cost_minor: int
    lines: tuple[QuoteLine, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.cost_minor + sum(line.amount_minor for line in self.lines) != self.price_minor:
            raise ValueError("a quote's cost and lines must add up to its price")

    def breakdown(self) -> dict:
        return asdict(self)


def quote_price(*, product, amount_minor: int | None = None, buyer=None) -> PriceQuote:
    """Quote ``product`` (``amount_minor`` = face value for open-amount products) for ``buyer``."""
    margin_bp = tenant_margin_bp()
    if product.is_open_amount:
        if amount_minor is None or not isinstance(amount_minor, int):
            raise InvalidPurchaseAmount("This product needs an amount.", fields={"amount": ["Required."]})
        low, high = product.min_amount_minor or 0, product.max_amount_minor
        if amount_minor < low or (high is not None and amount_minor > high) or amount_minor <= 0:
            raise InvalidPurchaseAmount("The amount is outside this product's range.",
                                        fields={"amount": ["Out of range."]})
        face = amount_minor
        cost = (face * product.cost_rate_bp + 9_999) // 10_000  # never under-count what we owe
        price = max(cost, (face * apply_margin_rate_bp(product.cost_rate_bp, margin_bp) + 5_000) // 10_000)
    else:
        face = product.face_value_minor if product.face_value_minor is not None else product.cost_price_minor
        cost = product.cost_price_minor
        price = apply_margin_minor(cost, margin_bp)
    lines = (QuoteLine(account_kind="revenue", amount_minor=price - cost),) if price > cost else ()
    return PriceQuote(product_id=product.pk, currency=product.currency, face_value_minor=face,
                      price_minor=price, cost_minor=cost, lines=lines)
