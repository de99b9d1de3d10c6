"""The remittance arithmetic, in integers only (minor units; rates scaled by 10^9). Pure functions.

Rounding, always in the platform's favour, bounded by one minor unit each:

* customer rate = mid rate * (10000 - margin_bps) / 10000, rounded DOWN (to 10^-9);
* fee = ceil(send * fee_bps / 10000) + fixed fee, rounded UP (send currency);
* principal = send - fee, exactly (no money created or lost on the sender's side);
* receive = principal * rate converted between the currencies' minor units, rounded DOWN (receive currency):
  ``receive = floor(principal * rate_e9 * 10^exp_receive / (10^exp_send * 10^9))``.
"""

from __future__ import annotations

from dataclasses import dataclass

from provider_plugins.interfaces.fx import RATE_SCALE

BPS = 10_000


class FxArithmeticError(ValueError):
    """The amount is too small to carry the fee, or converts to nothing."""


@dataclass(frozen=True)
class Figures:
    send_minor: int
    fee_minor: int
    principal_minor: int
    mid_rate_e9: int
    rate_e9: int
    receive_minor: int


def customer_rate(*, mid_rate_e9: int, margin_bps: int) -> int:
    if mid_rate_e9 <= 0 or not 0 <= margin_bps < BPS:
        raise FxArithmeticError("bad rate or margin")
    return mid_rate_e9 * (BPS - margin_bps) // BPS


def fee_for(*, send_minor: int, fee_bps: int, fee_fixed_minor: int) -> int:
    return -(-send_minor * fee_bps // BPS) + fee_fixed_minor


def convert(*, principal_minor: int, rate_e9: int, send_exponent: int, receive_exponent: int) -> int:
    numerator = principal_minor * rate_e9 * 10**receive_exponent
    return numerator // (10**send_exponent * RATE_SCALE)


def figures(*, send_minor: int, mid_rate_e9: int, margin_bps: int, fee_bps: int, fee_fixed_minor: int,
            send_exponent: int, receive_exponent: int) -> Figures:
    if not isinstance(send_minor, int) or isinstance(send_minor, bool) or send_minor <= 0:
        raise FxArithmeticError("the amount must be a positive integer in minor units")
    rate = customer_rate(mid_rate_e9=mid_rate_e9, margin_bps=margin_bps)
    fee = fee_for(send_minor=send_minor, fee_bps=fee_bps, fee_fixed_minor=fee_fixed_minor)
    principal = send_minor - fee
    if principal <= 0:
        raise FxArithmeticError("the amount does not cover the fee")
    receive = convert(principal_minor=principal, rate_e9=rate, send_exponent=send_exponent,
                      receive_exponent=receive_exponent)
    if receive <= 0:
        raise FxArithmeticError("the amount converts to nothing")
    return Figures(send_minor=send_minor, fee_minor=fee, principal_minor=principal, mid_rate_e9=mid_rate_e9,
                   rate_e9=rate, receive_minor=receive)


def smallest_send(*, fee_bps: int, fee_fixed_minor: int, principal_minor: int = 1) -> int:
    """The smallest amount sent (fee included) that leaves at least ``principal_minor`` once the fee is taken.

    ``send - fee = floor(send * (10000 - fee_bps) / 10000) - fixed``, so it reaches ``p`` exactly when
    ``send >= ceil((fixed + p) * 10000 / (10000 - fee_bps))``. With a 1 % + ₦100 fee: ₦101.03 (not ₦1.00)."""
    return -(-(fee_fixed_minor + max(principal_minor, 1)) * BPS // (BPS - fee_bps))


def smallest_principal(*, rate_e9: int, send_exponent: int, receive_exponent: int, receive_minor: int = 1) -> int:
    """The smallest principal that converts to at least ``receive_minor`` at ``rate_e9`` (``convert`` inverted)."""
    if rate_e9 <= 0:
        raise FxArithmeticError("the rate converts everything to nothing")
    denominator = rate_e9 * 10**receive_exponent
    return -(-max(receive_minor, 1) * 10**send_exponent * RATE_SCALE // denominator)


def rate_text(rate_e9: int) -> str:
    """``10000000`` -> ``"0.010000000"`` (exact, for display and the API)."""
    whole, frac = divmod(rate_e9, RATE_SCALE)
    return f"{whole}.{frac:09d}"
