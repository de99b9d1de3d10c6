"""Amounts from outside, on the Django side: the one money rule, its API field, its error.

The rule itself is ``provider_plugins.interfaces.money`` (plugins use it too); the
messages people read are ``countries.money.amount_error_message`` (translated).
Everything that takes an amount from a request calls :func:`parse_amount` (or puts
:class:`AmountField` in its serializer and then calls it), and every refusal is
``invalid_amount`` with a message per field, never the input or a Python exception.
:func:`parse_money` is the same rule giving a py-moneyed ``Money``; :class:`MoneyField` renders a ``Money``
as the API's decimal string (``"1500.50"``), the JSON shape every amount already has.

    amount = parse_amount(data["amount"], currency="NGN")      # 150050, or InvalidAmount (400)
    price = parse_money(data["amount"], currency="NGN")        # Money("1500.50", "NGN")
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from moneyed import Money
from rest_framework import serializers

from countries import money as money_rules
from countries.money import amount_error_message, decimal_text, minor_of
from provider_plugins.interfaces.money import MAX_AMOUNT_CHARS, AmountError, amount_text, parse_minor

from .errors import ApiError

__all__ = ["AmountField", "InvalidAmount", "MoneyField", "UnsupportedCurrency", "currency_minor_digits",
           "money_of", "parse_amount", "parse_money"]


class InvalidAmount(ApiError, ValueError):
    """Every bad amount, wherever it came from: 400 ``invalid_amount`` (a ValueError too, for callers that
    already catch the parsers' ValueError)."""

    code = "invalid_amount"
    message = _("The amount is not valid.")


class UnsupportedCurrency(ApiError):
    code = "unsupported_currency"
    message = _("This currency is not supported.")


def currency_minor_digits(currency: str) -> int:
    """ISO 4217 minor digits (``countries.money.currency_digits``); ``UnsupportedCurrency`` (400) otherwise."""
    try:
        return money_rules.currency_digits(currency)
    except AmountError:
        raise UnsupportedCurrency(fields={"currency": [str(UnsupportedCurrency.message)]}) from None


def parse_amount(value: Any, *, currency: str, field: str = "amount", positive: bool = True,
                 allow_negative: bool = False, allow_zero: bool = False) -> int:
    """Minor units of ``value`` (a decimal string, an int, a Decimal from JSON or a ``Money``) in ``currency``.

    ``positive`` (default): more than zero; ``allow_negative``: signed (operator adjustments);
    ``allow_zero`` with either. Raises :class:`InvalidAmount` with ``fields={field: [message]}``.
    """
    digits = currency_minor_digits(currency)
    try:
        if isinstance(value, Money):
            if value.currency.code != currency.upper():
                raise InvalidAmount(fields={field: [str(_("The amount is not in the expected currency."))]})
            minor = minor_of(value)
            if minor < 0 and not allow_negative:
                raise AmountError("negative")
        else:
            minor = parse_minor(value, minor_digits=digits, allow_negative=allow_negative)
    except AmountError as exc:
        raise InvalidAmount(fields={field: [amount_error_message(exc, currency=currency.upper(), digits=digits)]}) \
            from None
    if minor == 0 and not allow_zero:
        reason = "not_positive" if positive and not allow_negative else "zero"
        raise InvalidAmount(fields={field: [amount_error_message(reason)]})
    if minor < 0 and positive and not allow_negative:
        raise InvalidAmount(fields={field: [amount_error_message("not_positive")]})
    return minor


def parse_money(value: Any, *, currency: str, field: str = "amount", positive: bool = True,
                allow_negative: bool = False, allow_zero: bool = False) -> Money:
    """:func:`parse_amount` as py-moneyed ``Money`` (``"1500.5"``, NGN -> ``Money("1500.50", "NGN")``)."""
    minor = parse_amount(value, currency=currency, field=field, positive=positive, allow_negative=allow_negative,
                         allow_zero=allow_zero)
    return money_rules.money_of(minor, currency)


def money_of(amount_minor: int, currency: str) -> Money:
    """py-moneyed ``Money`` for integer minor units (exact: built from the decimal text, never a float)."""
    currency_minor_digits(currency)  # UnsupportedCurrency (400) for a code that is not a currency
    return money_rules.money_of(amount_minor, currency)


class MoneyField(serializers.Field):
    """A response amount: a ``Money`` rendered as the API's decimal string (``"1500.50"``, ``"1500"`` for XOF),
    exactly the shape every amount already has (no float, the currency's own digits). Read-only: amounts come in
    through :class:`AmountField` and :func:`parse_amount` / :func:`parse_money`.

    ``MoneyField()`` renders the attribute (a ``Money``); ``MoneyField(minor="fee_minor")`` builds the ``Money``
    from the object's integer minor units and its ``currency`` attribute (``currency=`` names another one),
    which is how models keep amounts. ``None`` minor units render as ``null``.
    """

    def __init__(self, *, minor: str | None = None, currency: str = "currency", **kwargs: Any) -> None:
        self.minor_attribute, self.currency_attribute = minor, currency
        kwargs["read_only"] = True
        if minor:
            kwargs.setdefault("source", "*")
        kwargs.setdefault("help_text", "Decimal string in the currency, e.g. \"1500.50\".")
        super().__init__(**kwargs)

    def to_representation(self, value: Any) -> str | None:
        if self.minor_attribute:
            minor = getattr(value, self.minor_attribute)
            if minor is None:
                return None
            value = money_of(minor, getattr(value, self.currency_attribute))
        return decimal_text(value)


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


class MoneyFieldSchema(OpenApiSerializerFieldExtension):
    """OpenAPI: a decimal string (the shape of every amount in a response)."""

    target_class = MoneyField

    def map_serializer_field(self, auto_schema, direction):
        schema: dict[str, Any] = build_basic_type(OpenApiTypes.STR) or {}
        schema["pattern"] = r"^-?[0-9]+(\.[0-9]+)?$"
        return schema


class AmountFieldSchema(OpenApiSerializerFieldExtension):
    """OpenAPI: a string with the rule's pattern and length (clients and the fuzzer see the rule)."""

    target_class = AmountField

    def map_serializer_field(self, auto_schema, direction):
        schema: dict[str, Any] = build_basic_type(OpenApiTypes.STR) or {}
        schema["pattern"] = r"^-?[0-9]+(\.[0-9]+)?$" if self.target.allow_negative else r"^[0-9]+(\.[0-9]+)?$"
        schema["maxLength"] = MAX_AMOUNT_CHARS
        return schema
