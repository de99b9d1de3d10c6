"""The FX / fee arithmetic never creates money: send = fee + principal exactly, the converted amount is the
exact product rounded down by less than one minor unit, and the platform's roundings are bounded."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_plugins.interfaces.fx import RATE_SCALE, rate_e9_from_decimal
from tenant_apps.remittances import fx

EXPONENTS = st.sampled_from([0, 2])  # XOF, GNF (0); NGN, GHS (2)


@given(send=st.integers(min_value=1, max_value=10**13), mid=st.integers(min_value=1, max_value=10**14),
       margin=st.integers(min_value=0, max_value=4999), fee_bps=st.integers(min_value=0, max_value=4999),
       fixed=st.integers(min_value=0, max_value=10**6), send_exp=EXPONENTS, receive_exp=EXPONENTS)
def test_no_money_created_and_rounding_bounded(send, mid, margin, fee_bps, fixed, send_exp, receive_exp):
    try:
        f = fx.figures(send_minor=send, mid_rate_e9=mid, margin_bps=margin, fee_bps=fee_bps,
                       fee_fixed_minor=fixed, send_exponent=send_exp, receive_exponent=receive_exp)
    except fx.FxArithmeticError:
        return
    assert f.send_minor == f.fee_minor + f.principal_minor and f.principal_minor > 0 and f.receive_minor > 0
    # Fee: the exact fee rounded UP by less than one minor unit.
    exact_fee = Fraction(send * fee_bps, 10_000) + fixed
    assert exact_fee <= f.fee_minor < exact_fee + 1
    # Rate: the exact customer rate rounded DOWN by less than 10^-9.
    exact_rate = Fraction(mid, RATE_SCALE) * Fraction(10_000 - margin, 10_000)
    assert Fraction(f.rate_e9, RATE_SCALE) <= exact_rate < Fraction(f.rate_e9 + 1, RATE_SCALE)
    # Receive: the principal at the customer rate, rounded DOWN by less than one receive minor unit.
    exact_receive = Fraction(f.principal_minor, 10**send_exp) * Fraction(f.rate_e9, RATE_SCALE) * 10**receive_exp
    assert f.receive_minor <= exact_receive < f.receive_minor + 1
    # Never more than the mid-market value of the principal: the customer is never paid more than exists.
    assert f.receive_minor <= Fraction(f.principal_minor, 10**send_exp) * Fraction(mid, RATE_SCALE) * 10**receive_exp


@given(value=st.decimals(min_value=Decimal("0.000000001"), max_value=Decimal("100000"), places=12))
def test_rate_scaling_rounds_down_exactly(value):
    scaled = rate_e9_from_decimal(value)
    assert Fraction(scaled, RATE_SCALE) <= Fraction(value) < Fraction(scaled + 1, RATE_SCALE)


def test_hand_computed_example_and_refusals():
    f = fx.figures(send_minor=500_000, mid_rate_e9=10_000_000, margin_bps=150, fee_bps=100, fee_fixed_minor=10_000,
                   send_exponent=2, receive_exponent=2)
    assert (f.fee_minor, f.principal_minor, f.rate_e9, f.receive_minor) == (15_000, 485_000, 9_850_000, 4_777)
    assert fx.rate_text(9_850_000) == "0.009850000" and fx.rate_text(1_525_000_000_000) == "1525.000000000"
    # XOF (no minor unit) -> GHS: 10,000 XOF at 0.025 GHS per XOF, margin 1 %, fee 0 -> 247.50 GHS.
    f = fx.figures(send_minor=10_000, mid_rate_e9=25_000_000, margin_bps=100, fee_bps=0, fee_fixed_minor=0,
                   send_exponent=0, receive_exponent=2)
    assert (f.rate_e9, f.receive_minor) == (24_750_000, 24_750)
    with pytest.raises(fx.FxArithmeticError):
        fx.figures(send_minor=10_000, mid_rate_e9=10_000_000, margin_bps=150, fee_bps=100, fee_fixed_minor=10_000,
                   send_exponent=2, receive_exponent=2)  # the fee is more than the amount
    with pytest.raises(fx.FxArithmeticError):
        fx.figures(send_minor=50, mid_rate_e9=1, margin_bps=0, fee_bps=0, fee_fixed_minor=0,
                   send_exponent=2, receive_exponent=2)  # converts to nothing
