"""Country codes stored in models: django-countries' ``CountryField`` over the 16 West African countries.

Every model column holding a country (tenant, product, provider, override, remittance corridor, quote...)
is a :class:`CountryField`: django-countries' field (choices, validation, admin filter and form select with
the country names in the page's language), restricted to :data:`~countries.codes.WEST_AFRICA`. The column
stays ``varchar(2)`` holding the ISO 3166-1 alpha-2 code.

One deliberate difference with django-countries' default: the attribute reads back as a
:class:`CountryCode`, a ``str`` (the code itself, ``"NG"``) that also has django-countries' ``name``
(``"Nigéria"`` in Portuguese). The code travels as is into JSON bodies, SQL parameters, Celery task
arguments, cache keys and provider plugins, which all expect a plain code (a ``Country`` object is none of
these); templates and serializers that show a country read ``.name``.
"""

from __future__ import annotations

from typing import Any

from django_countries import Countries
from django_countries.fields import CountryDescriptor
from django_countries.fields import CountryField as BaseCountryField

from .codes import WEST_AFRICA

__all__ = ["CountryCode", "CountryField", "WestAfricanCountries", "country_choices", "country_name",
           "west_african_countries"]


class WestAfricanCountries(Countries):
    """django-countries' list restricted to the countries NexusTop can serve; names (and their fr/pt
    translations) are django-countries' own."""

    only = sorted(WEST_AFRICA)


west_african_countries = WestAfricanCountries()


def country_name(code: object) -> str:
    """The country's name in the active language (``"SN"`` -> ``"Sénégal"`` in French); ``""`` for an empty
    code, the code itself for one django-countries does not know."""
    text = str(code or "").upper()
    if not text:
        return ""
    return str(west_african_countries.name(text)) or text


def country_choices() -> list[tuple[str, str]]:
    """``(code, name)`` for the 16 countries, by name in the active language (a form's ``choices=country_choices``:
    a callable, so every request lists them in its own language)."""
    return [(str(code), str(name)) for code, name in west_african_countries]


class CountryCode(str):
    """An ISO 3166-1 alpha-2 code that also knows its localized name (``code.name``)."""

    __slots__ = ()

    @property
    def code(self) -> str:
        return str(self)

    @property
    def name(self) -> str:
        return country_name(self)


class CountryCodeDescriptor(CountryDescriptor):
    def country(self, code: Any) -> Any:
        return code if code is None else CountryCode(code)


class CountryField(BaseCountryField):
    """django-countries' ``CountryField`` over :class:`WestAfricanCountries`, read back as :class:`CountryCode`."""

    descriptor_class = CountryCodeDescriptor

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("countries", WestAfricanCountries)
        kwargs.setdefault("max_length", 2)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if kwargs.get("countries") is WestAfricanCountries:
            kwargs.pop("countries")  # the default here: migrations stay short and stable
        return name, path, args, kwargs
