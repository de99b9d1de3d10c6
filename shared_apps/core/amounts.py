"""Amounts from outside, on the Django side: the one money rule, its API field, its error.

The rule itself is ``provider_plugins.interfaces.money`` (plugins use it too); the
messages people read are ``countries.money.amount_error_message`` (translated).
Everything that takes an amount from a request calls :func:`parse_amount` (or puts
:class:`AmountField` in its serializer and then calls it), and every refusal is
``invalid_amount`` with a message per field, never the input or a Python exception.

    amount = parse_amount(data["amount"], currency="NGN")      # 150050, or InvalidAmount (400)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from moneyed import Money
from rest_framework import serializers

from countries.money import amount_error_message
from provider_plugins.interfaces.money import (
    CURRENCY_EXPONENTS,
    MAX_AMOUNT_CHARS,
    AmountError,
    amount_text,
    minor_to_text,
    parse_minor,
)

from .errors import ApiError

__all__ = ["AmountField", "InvalidAmount", "UnsupportedCurrency", "currency_minor_digits", "money_of",
           "parse_amount"]


class InvalidAmount(ApiError, ValueError):
    """Every bad amount, wherever it came from: 400 ``invalid_amount`` (a ValueError too, for callers that
    already catch the parsers' ValueError)."""

    code = "invalid_amount"
    message = _("The amount is not valid.")


class UnsupportedCurrency(ApiError):
    code = "unsupported_currency"
    message = _("This currency is not supported.")


def currency_minor_digits(currency: str) -> int:
    """ISO 4217 minor digits: the rule's table, then py-moneyed for other real currencies."""
    code = currency.upper() if isinstance(currency, str) else ""
    if code in CURRENCY_EXPONENTS:
        return CURRENCY_EXPONENTS[code]
    from moneyed import CurrencyDoesNotExist, get_currency

    try:
        sub_unit = get_currency(code).sub_unit if len(code) == 3 and code.isalpha() and code.isascii() else None
    except CurrencyDoesNotExist:
        sub_unit = None
    if not sub_unit:
        raise UnsupportedCurrency(fields={"currency": [str(UnsupportedCurrency.message)]})
    return len(str(sub_unit)) - 1


def parse_amount(value: Any, *, currency: str, field: str = "amount", positive: bool = True,
                 allow_negative: bool = False, allow_zero: bool = False) -> int:
    """Minor units of ``value`` (a decimal string, an int, a Decimal from JSON or a ``Money``) in ``currency``.

    ``positive`` (default): more than zero; ``allow_negative``: signed (operator adjustments);
    ``allow_zero`` with either. Raises :class:`InvalidAmount` with ``fields={field: [message]}``.
    """
    digits = currency_minor_digits(currency)
    if isinstance(value, Money):
        if str(value.currency) != currency.upper():
            raise InvalidAmount(fields={field: [str(_("The amount is not in the expected currency."))]})
        value = value.amount
    try:
        minor = parse_minor(value, minor_digits=digits, allow_negative=allow_negative)
    except AmountError as exc:
        raise InvalidAmount(fields={field: [amount_error_message(exc, currency=currency.upper())]}) from None
    if minor == 0 and not allow_zero:
        reason = "not_positive" if positive and not allow_negative else "zero"
        raise InvalidAmount(fields={field: [amount_error_message(reason)]})
    if minor < 0 and positive and not allow_negative:
        raise InvalidAmount(fields={field: [amount_error_message("not_positive")]})
    return minor


def money_of(amount_minor: int, currency: str) -> Money:
    """py-moneyed ``Money`` for integer minor units (exact: built from the decimal text, never a float)."""
    return Money(Decimal(minor_to_text(amount_minor, currency_minor_digits(currency))), currency.upper())


class AmountField(serializers.Field):
    """A decimal amount in a request body: ``"1500.50"`` (or a JSON number read as Decimal, never a float).

    Checks the money rule's type, length and grammar (bounded: nothing is converted before the length
    check) and gives back the text; the view turns it into minor units for its currency with
    :func:`parse_amount`. Errors carry the code ``invalid_amount`` (the API answers that code when
    every refused field is an amount).
    """

    default_error_messages = {"invalid_amount": _("The amount is not valid.")}

    def __init__(self, *, allow_negative: bool = False, allow_blank: bool = False, **kwargs: Any) -> None:
        self.allow_negative = allow_negative
        self.allow_blank = allow_blank  # "" means "no amount" (given back as None)
        kwargs.setdefault("help_text", "Decimal string in the currency, e.g. \"1500.50\" (no exponent, no "
                                       "separators; at most the currency's minor digits).")
        super().__init__(**kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        if self.allow_blank and isinstance(data, str) and data == "":
            return None
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        try:
            return amount_text(data, allow_negative=self.allow_negative)
        except AmountError as exc:
            raise serializers.ValidationError(amount_error_message(exc), code="invalid_amount") from None

    def to_representation(self, value: Any) -> str:
        return str(value)


class AmountFieldSchema(OpenApiSerializerFieldExtension):
    """OpenAPI: a string with the rule's pattern and length (clients and the fuzzer see the rule)."""

    target_class = AmountField

    def map_serializer_field(self, auto_schema, direction):
        schema = build_basic_type(OpenApiTypes.STR)
        assert schema is not None  # a basic type always has a schema
        schema["pattern"] = r"^-?[0-9]+(\.[0-9]+)?$" if self.target.allow_negative else r"^[0-9]+(\.[0-9]+)?$"
        schema["maxLength"] = MAX_AMOUNT_CHARS
        return schema
