"""Money at the boundaries: py-moneyed ``Money`` in, integer minor units inside, text out. No floats anywhere.

The ledger, the models and the services keep integer minor units. ``Money`` is what crosses a boundary:

* input: :func:`parse_money` (a decimal string -> ``Money``) and :func:`to_minor` (-> minor units) apply the
  platform's one strict rule (``provider_plugins.interfaces.money.parse_minor``: ASCII digits, an optional
  point, at most the currency's minor digits, bounded length, no exponent, NaN, Infinity, spaces or signs
  where not allowed; stable reason codes, refused in O(1) whatever the input); :func:`amount_error_message`
  gives the message people read, in their language;
* conversion: :func:`money_of` (minor units -> ``Money``, exact) and :func:`minor_of` (``Money`` -> minor
  units, refusing a fraction of a minor unit rather than rounding), digits from :func:`currency_digits`
  (the currency's ISO 4217 exponent);
* output: :func:`format_money` is the one display format (pages, receipts, emails, messages);
  :func:`text_money` is the same format for an SMS or a USSD screen (the reader's language, the currency's
  symbol when the GSM-7 alphabet has it, else its ISO code: ``1 500 CFA``, ``NGN 2,000.00``, ``2 000,00 CVE``);
  the API's decimal string is :func:`decimal_text` (``"1500.50"``).

Display rules (deliberately simple and reversible, per language, not per CLDR locale: py-moneyed's
``moneyed.l10n`` (Babel) is not used because its West African data is not fit to print — ``F\u202fCFA1,500``
in English, ``.`` as the Portuguese group separator, a zero-width space as the Cape Verdean escudo's
symbol in ``pt_CV`` — and it prints ISO codes where people expect ``₦`` or ``GH₵``):

* ``en``: the symbol goes first (``₦1,500.00``, ``GH₵1,500.00``; alphabetic
  symbols get a space: ``CFA 1,500``); ``,`` groups thousands, ``.`` marks decimals.
* ``fr`` / ``pt``: the symbol goes last after a space (``1 500 CFA``,
  ``1 500,00 ₦``); a space groups thousands, ``,`` marks decimals.

:func:`parse_minor` reads that display text back (bounded too); amounts typed
into the API, forms, webhooks or files go through :func:`to_minor` / :func:`parse_money` instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from moneyed import CurrencyDoesNotExist, Money, get_currency

from provider_plugins.interfaces.money import MAX_MINOR_DIGITS, AmountError, currency_exponent, minor_to_text
from provider_plugins.interfaces.money import parse_minor as parse_minor_strict

from .errors import InvalidAmount

# Every flavour of space a browser or a locale library may put inside a number.
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007']+")
MAX_DISPLAY_CHARS = 64  # "-1 000 000 000 000 000,00 F CFA" and then some; checked before any regex

_FORMAT = _("Enter the amount as digits with an optional decimal point, such as 1500 or 1500.50.")
_WHOLE_FORMAT = _("Enter the amount as digits only, such as 1500.")
AMOUNT_MESSAGES = {
    "type": _FORMAT,
    "syntax": _FORMAT,
    "too_large": _("The amount is too large."),
    "negative": _("The amount cannot be negative."),
    "not_positive": _("The amount must be more than zero."),
    "zero": _("The amount must not be zero."),
    "unknown_currency": _("This currency is not supported."),
}


def amount_error_message(error: AmountError | str, *, currency: str = "", digits: int | None = None) -> str:
    """The translated, input-free message for a refused amount (``error``: an AmountError or a reason)."""
    reason = error.reason if isinstance(error, AmountError) else error
    digits = error.digits if isinstance(error, AmountError) and error.digits is not None else digits
    if reason == "too_many_decimals":
        if not digits:
            if currency:
                return gettext("%(currency)s amounts are whole numbers, without decimals.") % {"currency": currency}
            return gettext("Whole amounts only, without decimals.")
        if currency:
            return gettext("%(currency)s amounts have at most %(digits)s decimal places.") % {
                "currency": currency, "digits": digits}
        return gettext("At most %(digits)s decimal places.") % {"digits": digits}
    if reason in ("type", "syntax") and digits == 0:  # "such as 1500.50" is refused in francs: no decimal shown
        return str(_WHOLE_FORMAT)
    return str(AMOUNT_MESSAGES.get(reason, _FORMAT))


@dataclass(frozen=True)
class CurrencyInfo:
    code: str  # ISO 4217
    minor_unit: int  # digits after the decimal point (ISO 4217 exponent)
    symbol: str  # the local display symbol
    aliases: tuple[str, ...] = ()  # other spellings accepted when parsing

    @property
    def symbols(self) -> tuple[str, ...]:
        # Longest first so "GH₵" is stripped before "₵".
        return tuple(sorted({self.symbol, self.code, *self.aliases}, key=len, reverse=True))


@dataclass(frozen=True)
class NumberStyle:
    group: str
    decimal: str
    symbol_first: bool


STYLES: dict[str, NumberStyle] = {
    "en": NumberStyle(group=",", decimal=".", symbol_first=True),
    "fr": NumberStyle(group=" ", decimal=",", symbol_first=False),
    "pt": NumberStyle(group=" ", decimal=",", symbol_first=False),
    "ar": NumberStyle(group=" ", decimal=",", symbol_first=False),
}


def style_for(locale: str | None) -> NumberStyle:
    language = (locale or "en").replace("_", "-").split("-")[0].lower()
    return STYLES.get(language, STYLES["en"])


def to_minor(decimal_text: object, *, minor_unit: int) -> int:
    """``"1500.5"`` -> ``150050`` for a 2-digit currency: the strict rule, signed; never rounds."""
    try:
        return parse_minor_strict(decimal_text, minor_digits=minor_unit, allow_negative=True)
    except AmountError as exc:
        raise InvalidAmount(amount_error_message(exc), code=exc.code) from None


def from_minor(minor: int, *, minor_unit: int) -> str:
    """``150050`` -> ``"1500.50"``; ``1500`` (XOF) -> ``"1500"``."""
    try:
        return minor_to_text(minor, minor_unit)
    except AmountError as exc:
        raise InvalidAmount(amount_error_message(exc), code=exc.code) from None


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


def currency_digits(currency: str) -> int:
    """ISO 4217 minor digits (``"NGN"`` -> 2, ``"XOF"`` -> 0): the money rule's table, then py-moneyed's for any
    other real currency; :class:`AmountError` ``unknown_currency`` for anything else."""
    try:
        return currency_exponent(currency)
    except AmountError:
        pass
    code = currency.upper() if isinstance(currency, str) else ""
    if len(code) == 3 and code.isascii() and code.isalpha():
        try:
            sub_unit = get_currency(code).sub_unit
        except CurrencyDoesNotExist:
            sub_unit = None
        if sub_unit:
            return len(str(sub_unit)) - 1
    raise AmountError("unknown_currency")


def money_of(minor: int, currency: str) -> Money:
    """Integer minor units as ``Money``, exactly (from the decimal text, never a float): ``150050, "NGN"`` ->
    ``Money("1500.50", "NGN")``."""
    return Money(Decimal(minor_to_text(minor, currency_digits(currency))), currency.upper())


def minor_of(money: Money) -> int:
    """``Money`` -> integer minor units of its currency; :class:`AmountError` (``too_many_decimals``) for a
    fraction of a minor unit, ``too_large`` past the rule's bound: never rounds."""
    if not isinstance(money, Money):
        raise AmountError("type")
    digits = currency_digits(money.currency.code)
    amount = money.amount
    if not amount.is_finite():
        raise AmountError("syntax")
    if amount and amount.adjusted() + digits >= MAX_MINOR_DIGITS:  # O(1), before any arithmetic
        raise AmountError("too_large")
    scaled = amount.scaleb(digits)
    if scaled != scaled.to_integral_value():
        raise AmountError("too_many_decimals", digits=digits)
    return int(scaled)


def parse_money(amount: object, *, currency: str, allow_negative: bool = False) -> Money:
    """A decimal string from outside (or an int, or a JSON Decimal) -> ``Money``, by the strict rule:
    ``"1500.5"`` NGN -> ``Money("1500.50", "NGN")``; refusals are :class:`AmountError` with the rule's reason."""
    minor = parse_minor_strict(amount, minor_digits=currency_digits(currency), allow_negative=allow_negative)
    return money_of(minor, currency)


def decimal_text(money: Money) -> str:
    """The API's decimal string: ``Money("1500.5", "NGN")`` -> ``"1500.50"``, ``Money(1500, "XOF")`` -> ``"1500"``."""
    return minor_to_text(minor_of(money), currency_digits(money.currency.code))


def format_money(money: Money, *, locale: str | None, symbol: str | None = None) -> str:
    """The one display format: ``₦1,500.00`` (en), ``1 500 CFA`` (fr); ``symbol`` defaults to the ISO code."""
    style = style_for(locale)
    symbol = symbol or money.currency.code
    plain = decimal_text(money)
    negative = plain.startswith("-")
    whole, _dot, fraction = plain.lstrip("-").partition(".")
    number = _group(whole, style.group) + (style.decimal + fraction if fraction else "")
    if style.symbol_first:
        spacer = " " if len(symbol) > 1 and symbol.isalpha() else ""  # "CFA 1,500", "₦1,500"
        text = f"{symbol}{spacer}{number}"
    else:
        text = f"{number} {symbol}"
    return f"-{text}" if negative else text


def format_number(value: object, *, locale: str | None) -> str:
    """A plain decimal that is not money (an exchange rate) in the locale's style, trailing zeros dropped:
    ``"8620.0"`` -> ``8,620`` (en), ``8 620`` (fr); ``"0.00125"`` -> ``0,00125`` (fr). ValueError: not a number."""
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise ValueError(f"not a number: {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"not a number: {value!r}")
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    style = style_for(locale)
    negative = text.startswith("-")
    whole, _dot, fraction = text.lstrip("-").partition(".")
    shown = _group(whole, style.group) + (style.decimal + fraction if fraction else "")
    return f"-{shown}" if negative else shown


# A provider's quantity: a number and an optional unit ("25.0 kWh", "79.9", "10,5 kWh"), bounded.
_QUANTITY = re.compile(r"\s*(-?[0-9]{1,15}(?:[.,][0-9]{1,6})?)\s*([A-Za-z]{1,8})?\s*")


def format_quantity(text: object, *, locale: str | None) -> str:
    """A provider's quantity (energy units on a receipt) in the locale's number style, its unit kept:
    ``"25.0 kWh"`` -> ``25 kWh`` (en), ``"79.9 kWh"`` -> ``79,9 kWh`` (fr, pt), ``"1234.5"`` -> ``1 234,5``
    (fr). Anything else comes back as it was: never a guess."""
    raw = "" if text is None else str(text)
    found = _QUANTITY.fullmatch(raw) if len(raw) <= 40 else None
    if found is None:
        return raw
    number, unit = found.group(1).replace(",", "."), found.group(2)
    unit = "kWh" if unit and unit.lower() == "kwh" else unit
    shown = format_number(number, locale=locale)
    return f"{shown} {unit}" if unit else shown


# A symbol an SMS or a USSD screen carries as is: GSM 03.38 basic characters only (``CFA``, ``L$``, ``Le``, ``UM``);
# ``₦`` or ``GH₵`` would turn a whole SMS into UCS-2 (70 characters a part, not 160) and show as ``?`` on USSD.
_TEXT_SYMBOL = re.compile(r"[A-Za-z0-9$£¥.]{1,8}")


def text_symbol(symbol: str | None, code: str) -> str:
    """``symbol`` when GSM-7 has it, else the ISO ``code`` (``"₦"`` -> ``"NGN"``, ``"CFA"`` -> ``"CFA"``)."""
    return symbol if symbol and _TEXT_SYMBOL.fullmatch(symbol) else code


def text_money(money: Money, *, locale: str | None, symbol: str | None = None) -> str:
    """SMS and USSD: :func:`format_money` in the reader's language with :func:`text_symbol` (GSM-7 characters
    only): ``1 500 CFA`` (fr), ``NGN 2,000.00`` (en), ``2 000,50 CVE`` (pt)."""
    return format_money(money, locale=locale, symbol=text_symbol(symbol, money.currency.code))


def format_minor(minor: int, *, currency: CurrencyInfo, locale: str | None) -> str:
    """:func:`format_money` of integer minor units with the currency's own symbol."""
    try:
        money = money_of(minor, currency.code)
    except AmountError as exc:
        raise InvalidAmount(amount_error_message(exc), code=exc.code) from None
    return format_money(money, locale=locale, symbol=currency.symbol)


def parse_minor(text: str, *, currency: CurrencyInfo) -> int:
    """Inverse of :func:`format_minor` for any locale style; also accepts bare numbers.

    A ``.`` or ``,`` followed by 1..minor_unit digits at the end is the decimal
    mark; any other ``,``/space is a thousands separator and must group by 3
    (``.`` too, but only for currencies without a minor unit, where it can't be
    a decimal mark). Anything ambiguous is refused, never guessed.
    """
    if not isinstance(text, str) or len(text) > MAX_DISPLAY_CHARS:
        raise InvalidAmount(code="invalid_amount")
    body = text.strip()
    negative = False
    if body.startswith("-"):
        negative, body = True, body[1:].strip()
    for symbol in currency.symbols:
        if body.upper().startswith(symbol.upper()):
            body = body[len(symbol):]
            break
        if body.upper().endswith(symbol.upper()):
            body = body[: len(body) - len(symbol)]
            break
    body = body.strip()
    if body.startswith("-") and not negative:
        negative, body = True, body[1:]
    body = _SPACES.sub(" ", body).strip()
    if not body or not re.fullmatch(r"[0-9][0-9 .,]*", body) or body[-1] in " .,":
        raise InvalidAmount(code="invalid_amount")
    whole, fraction = body, ""
    last_mark = max(body.rfind("."), body.rfind(","))
    if last_mark != -1 and currency.minor_unit > 0:
        tail = body[last_mark + 1:]
        if 1 <= len(tail) <= currency.minor_unit and tail.isdigit():
            whole, fraction = body[:last_mark], tail
    groups = re.split(r"[ .,]", whole)
    if len(groups) > 1:
        separators = set(re.findall(r"[ .,]", whole))
        if len(separators) > 1 or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
            raise InvalidAmount(code="invalid_amount")
        if "." in separators and currency.minor_unit > 0:
            # "1.234" could be 1.234 (too precise) or 1 234: refuse rather than guess by 1000x.
            raise InvalidAmount(code="invalid_amount")
    digits = "".join(groups)
    if not digits.isdigit():
        raise InvalidAmount(code="invalid_amount")
    minor = to_minor(f"{digits}.{fraction}" if fraction else digits, minor_unit=currency.minor_unit)
    return -minor if negative else minor
