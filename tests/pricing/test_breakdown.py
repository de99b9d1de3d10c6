"""``PriceQuote.breakdown()`` is ``dataclasses.asdict`` written for the quote's shapes (issue 18): same dict,
same key order (it is stored as JSON on every order), nothing shared with the quote."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from countries.tax import TaxAmount
from tenant_apps.pricing.quotes import PriceQuote, QuoteLine

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=6),
                    st.decimals(allow_nan=False, allow_infinity=False, places=2))
RULES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                      st.dictionaries(st.text(max_size=4), inner, max_size=3)),
                     max_leaves=8)
LINES = st.builds(QuoteLine, account_kind=st.sampled_from(["revenue", "commissions_payable", "tax_payable_vat"]),
                  amount_minor=st.integers(min_value=0, max_value=10**9), party=st.text(max_size=10),
                  level=st.integers(min_value=0, max_value=3))
TAXES = st.builds(TaxAmount, code=st.text(max_size=4), name=st.text(max_size=8), kind=st.sampled_from(["vat", "levy"]),
                  account_kind=st.just("tax_payable_vat"), rate_bps=st.integers(0, 2_000),
                  base_minor=st.integers(0, 10**9), amount_minor=st.integers(0, 10**9), included=st.booleans())


@st.composite
def quotes(draw) -> PriceQuote:
    lines = tuple(draw(st.lists(LINES, max_size=4)))
    cost = draw(st.integers(min_value=0, max_value=10**9))
    price = cost + sum(line.amount_minor for line in lines)
    return PriceQuote(product_id=draw(st.integers(1, 10**6)), currency=draw(st.sampled_from(["NGN", "XOF", "GHS"])),
                      face_value_minor=draw(st.integers(0, 10**9)), price_minor=price,
                      cost_minor=cost, lines=lines, tenant_cost_minor=draw(st.none() | st.integers(0, 10**9)),
                      tenant_kind=draw(st.sampled_from(["", "country_operation", "reseller_brand"])),
                      rules=draw(st.dictionaries(st.text(max_size=5), RULES, max_size=4)),
                      taxes=tuple(draw(st.lists(TAXES, max_size=2))))


@settings(max_examples=300, deadline=None)
@given(quote=quotes())
def test_the_breakdown_is_asdict(quote):
    mine, reference = quote.breakdown(), asdict(quote)
    assert mine == reference
    assert json.dumps(mine, default=str) == json.dumps(reference, default=str)  # key order: the stored JSON
    assert type(mine["lines"]) is tuple and type(mine["taxes"]) is tuple


def test_nothing_is_shared_with_the_quote():
    quote = PriceQuote(product_id=1, currency="NGN", face_value_minor=100, price_minor=110, cost_minor=100,
                       lines=(QuoteLine("revenue", 10),), rules={"applied": [{"id": 3, "rate": Decimal("1.5")}]})
    breakdown = quote.breakdown()
    breakdown["rules"]["applied"][0]["id"] = 99
    breakdown["lines"][0]["amount_minor"] = 0
    assert quote.rules == {"applied": [{"id": 3, "rate": Decimal("1.5")}]} and quote.lines[0].amount_minor == 10


def test_dataclasses_known_by_their_type_and_classes_kept_as_values():
    """The conversion finds dataclass instances by their type (kept per type): a dataclass *class* among the values
    is a value, deep-copied as asdict does, and an instance of a subclass has its own fields."""

    @dataclass(frozen=True)
    class Source:
        rule: int
        note: str = ""

    @dataclass(frozen=True)
    class Detailed(Source):
        extra: tuple = ()

    for rules in ({"kind": Source}, {"applied": [Source(3, "x"), Detailed(4, "y", (Source(5),))]},
                  {"nested": {"deep": (Detailed(1),)}}):
        quote = PriceQuote(product_id=1, currency="NGN", face_value_minor=100, price_minor=110, cost_minor=100,
                           lines=(QuoteLine("revenue", 10),), rules=rules)
        for _ in range(2):  # the second time from the kept field names
            assert quote.breakdown() == asdict(quote)
