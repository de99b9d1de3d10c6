"""Refunds in any steps give back each part of a payment (fee, each tax on the fee) in proportion, never more than
the part, and all of it once the payment is refunded in full."""

from hypothesis import given
from hypothesis import strategies as st

from tenant_apps.merchants.services import share_back


@st.composite
def payment_and_refunds(draw):
    paid = draw(st.integers(min_value=1, max_value=10**12))
    fee = draw(st.integers(min_value=0, max_value=paid))
    tax = draw(st.integers(min_value=0, max_value=fee))
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=paid), max_size=6, unique=True)))
    return paid, fee, tax, [*cuts, paid] if not cuts or cuts[-1] != paid else cuts


@given(payment_and_refunds())
def test_every_part_comes_back_in_proportion_and_exactly_once_in_full(case):
    paid, fee, tax, steps = case
    before, fee_back, tax_back = 0, 0, 0
    for after in steps:
        fee_step = share_back(fee, before=before, after=after, paid=paid)
        tax_step = share_back(tax, before=before, after=after, paid=paid)
        assert fee_step >= 0 and tax_step >= 0
        fee_back, tax_back, before = fee_back + fee_step, tax_back + tax_step, after
        assert fee_back <= fee and tax_back <= tax
        assert abs(fee_back * paid - fee * after) < paid  # within one minor unit of the exact share
    assert (fee_back, tax_back) == (fee, tax)
