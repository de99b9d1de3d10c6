"""The one rule for money that comes from outside, and minor-unit conversion.

Every amount the platform is given (API bodies and query strings, portal forms,
provider webhooks and answers, CSV, USSD) goes through :func:`parse_minor`:

* ASCII digits, optionally one ``.`` and at most the currency's minor digits
  (``"1500"``, ``"1500.5"``, ``"1500.50"`` for NGN; ``"1500"`` only for XOF);
* no exponent, ``NaN``, ``Infinity``, underscores, spaces, ``+``, thousands
  separators or non-ASCII digits; a ``-`` only where the caller allows one;
* at most :data:`MAX_AMOUNT_CHARS` characters, checked *before* anything else,
  and below ``10**MAX_MINOR_DIGITS`` once in minor units (inside a PostgreSQL
  ``bigint``): the cost is a ``len()`` and one regular-expression match over at
  most 32 characters, whatever the input.
  There is no ``Decimal`` arithmetic on the way: ``"1e999990"`` is refused as
  text, it is never expanded.

Numbers: ``int`` is accepted (bounded first); ``Decimal`` is judged by its text, and
a JSON number read with :func:`provider_plugins.interfaces.wire.json_loads` by the
literal the sender wrote, so ``1.5e3`` in JSON is refused exactly like the string
``"1.5e3"``; ``float`` is never accepted (it cannot say which decimal the sender meant).

Plugins may not import the country adapters, so this module is stdlib only and
holds the ISO 4217 exponents a plugin needs; ``countries``, the ledger, the API
and the portal delegate to it (one rule, one implementation).
"""

from __future__ import annotations

import re
from decimal import Decimal

__all__ = [
    "MAX_AMOUNT_CHARS",
    "MAX_MINOR_DIGITS",
    "AmountError",
    "amount_text",
    "currency_exponent",
    "from_minor",
    "minor_to_text",
    "parse_minor",
    "to_minor",
    "to_minor_padded",
]

MAX_AMOUNT_CHARS = 32
# Minor units below 10**18: far beyond any wallet (10**16 naira), always inside a PostgreSQL bigint (9.2 * 10**18).
MAX_MINOR_DIGITS = 18
_MAX_INT = 10**MAX_MINOR_DIGITS

# ISO 4217 exponents of the currencies our countries and rails handle (the 16 West African
# countries' currencies, their neighbours and the usual settlement currencies).
CURRENCY_EXPONENTS: dict[str, int] = {
    "NGN": 2, "GHS": 2, "XOF": 0, "XAF": 0, "GNF": 0, "GMD": 2, "LRD": 2, "SLE": 2, "SLL": 2,
    "CVE": 2, "MRU": 2, "USD": 2, "EUR": 2, "GBP": 2, "KES": 2, "UGX": 0, "ZAR": 2, "RWF": 0,
}

_AMOUNT = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")  # [0-9], not \d: ASCII digits only

MESSAGES = {
    "type": "Enter the amount as a decimal string such as 1500 or 1500.50.",
    "syntax": "Enter the amount as digits with an optional decimal point, such as 1500 or 1500.50.",
    "too_large": "The amount is too large.",
    "negative": "The amount cannot be negative.",
    "too_many_decimals": "The amount has more decimal places than the currency.",
    "unknown_currency": "Unknown currency.",
}


class AmountError(ValueError):
    """A refused amount. ``code`` is always ``invalid_amount``; ``reason`` says which rule it broke.

    Reasons: ``type`` (not a string, int or Decimal: floats included), ``syntax``, ``too_large``,
    ``negative``, ``too_many_decimals`` (``digits`` is the currency's), ``unknown_currency``.
    The message never repeats the input (it may be huge or hostile).
    """

    code = "invalid_amount"

    def __init__(self, reason: str, *, digits: int | None = None) -> None:
        self.reason = reason
        self.digits = digits
        super().__init__(MESSAGES[reason])


def currency_exponent(currency: str) -> int:
    """ISO 4217 minor digits (``"NGN"`` -> 2, ``"XOF"`` -> 0); :class:`AmountError` for anything else."""
    code = currency.upper() if isinstance(currency, str) and len(currency) == 3 else ""
    try:
        return CURRENCY_EXPONENTS[code]
    except KeyError:
        raise AmountError("unknown_currency") from None


def amount_text(amount: object, *, allow_negative: bool = False) -> str:
    """The amount as bounded, validated decimal text (digits, optional point; ``-`` if allowed).

    Checks the type, the length and the grammar, not the currency's minor digits.
    """
    if isinstance(amount, bool):
        raise AmountError("type")
    if isinstance(amount, str):
        text = amount
    elif isinstance(amount, int):
        if not -_MAX_INT < amount < _MAX_INT:  # compared before str(): never a huge int -> text conversion
            raise AmountError("too_large")
        text = str(amount)
    elif isinstance(amount, Decimal):
        if not amount.is_finite():
            raise AmountError("syntax")
        if amount.adjusted() >= MAX_MINOR_DIGITS:  # O(1): the exponent, not the digits
            raise AmountError("too_large")
        literal = getattr(amount, "literal", None)  # a JSON number (wire.JsonNumber): as it was written
        # Otherwise its own text: scientific notation (1E+3, 1E-7) stays, and is refused below like the string.
        text = literal if isinstance(literal, str) else str(amount)
    else:
        raise AmountError("type")  # float (a JSON number parsed the lossy way), None, bytes, lists...
    if len(text) > MAX_AMOUNT_CHARS:  # O(1): nothing past a bounded prefix is ever looked at
        head = text[: MAX_AMOUNT_CHARS + 1]
        raise AmountError("too_large" if _AMOUNT.fullmatch(head) else "syntax")
    match = _AMOUNT.fullmatch(text)
    if match is None:
        raise AmountError("syntax")
    sign, whole, _fraction = match.groups()
    if sign and not allow_negative:
        raise AmountError("negative")
    if len(whole.lstrip("0")) > MAX_MINOR_DIGITS:
        raise AmountError("too_large")
    return text


def parse_minor(amount: object, *, minor_digits: int, allow_negative: bool = False) -> int:
    """Integer minor units of ``amount`` for a currency with ``minor_digits``; never rounds.

    ``"1500.5"``, 2 -> ``150050``; ``"1500"``, 0 -> ``1500``; ``"1500.0"``, 0 -> refused.
    """
    match = _AMOUNT.fullmatch(amount_text(amount, allow_negative=allow_negative))
    if match is None:  # amount_text has checked the grammar
        raise AmountError("syntax")
    sign, whole, fraction = match.groups()
    fraction = fraction or ""
    if len(fraction) > minor_digits:
        raise AmountError("too_many_decimals", digits=minor_digits)
    if len(whole.lstrip("0")) + minor_digits > MAX_MINOR_DIGITS:
        raise AmountError("too_large")
    minor = int(whole + fraction.ljust(minor_digits, "0"))  # at most 32 characters: int() is cheap
    return -minor if sign else minor


def to_minor(amount: object, currency: str) -> int:
    """``"100.50"`` NGN -> ``10050``: the strict entry point for plugins (a provider's amount, never negative).

    Raises :class:`AmountError` (a ``ValueError``) for anything :func:`parse_minor` refuses, for floats
    (parse provider JSON with ``wire.json_loads``: numbers become ``Decimal``) and for unknown currencies.
    """
    return parse_minor(amount, minor_digits=currency_exponent(currency))


def to_minor_padded(amount: object, currency: str) -> int:
    """:func:`to_minor` for providers that pad amounts with zeros past the currency's digits: Reloadly's JSON
    doubles (``500.0`` XOF), Africa's Talking's ``"NGN 9998.0000"``. Only those zeros are dropped; a fraction of
    a minor unit (``500.5`` XOF), an exponent, a float and everything else the rule refuses stay refused."""
    text = amount_text(amount)  # type, length and grammar first: bounded whatever the provider sends
    whole, _, fraction = text.partition(".")
    digits = currency_exponent(currency)
    if len(fraction) > digits and not fraction[digits:].strip("0"):
        text = f"{whole}.{fraction[:digits]}" if digits else whole
    return to_minor(text, currency)


def minor_to_text(amount_minor: int, minor_digits: int) -> str:
    """``150050``, 2 -> ``"1500.50"``; ``1500``, 0 -> ``"1500"`` (integers only: no float, no Decimal)."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise AmountError("type")
    sign = "-" if amount_minor < 0 else ""
    whole, fraction = divmod(abs(amount_minor), 10**minor_digits)
    if minor_digits == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{str(fraction).zfill(minor_digits)}"


def from_minor(amount_minor: int, currency: str) -> str:
    """``10050`` NGN -> ``"100.50"`` (a decimal string, never a float)."""
    return minor_to_text(int(amount_minor), currency_exponent(currency))
