"""Country columns are django-countries' CountryField over the 16 West African countries, with its names."""

from __future__ import annotations

import json
import pickle

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.utils import translation
from django_countries import countries as global_countries
from django_countries.fields import CountryField as DjangoCountriesField

from countries.codes import WEST_AFRICA
from countries.fields import CountryCode, CountryField, country_choices, country_name

COUNTRY_COLUMNS = [
    ("tenants.Tenant", "country"),
    ("catalog.Product", "country"),
    ("providers.Provider", "country"),
    ("countries.CountryOverride", "country"),
    ("remittances.Corridor", "destination_country"),
    ("remittances.Quote", "destination_country"),
    ("remittances.Remittance", "destination_country"),
    ("remittances.InboundRemittance", "sender_country"),
]


@pytest.mark.parametrize(("model", "field"), COUNTRY_COLUMNS)
def test_every_country_column_is_a_django_countries_field(model, field):
    column = apps.get_model(model)._meta.get_field(field)
    assert isinstance(column, DjangoCountriesField) and isinstance(column, CountryField)
    assert column.max_length == 2
    assert column.choices is not None
    assert sorted(code for code, _name in column.choices if code) == sorted(WEST_AFRICA)


def test_no_other_model_stores_a_country_as_a_plain_char_field():
    seen = {(model, field) for model, field in COUNTRY_COLUMNS}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            name = getattr(field, "name", "")
            if "country" in name and getattr(field, "max_length", None) == 2:
                assert (model._meta.label, name) in seen, f"{model._meta.label}.{name} is not a CountryField"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", {"SN": "Senegal", "CI": "Côte d'Ivoire", "CV": "Cabo Verde", "GW": "Guinea-Bissau", "BJ": "Benin"}),
    ("fr", {"SN": "Sénégal", "CI": "Côte d'Ivoire", "CV": "Cap-Vert", "GW": "Guinée-Bissau", "BJ": "Bénin"}),
    ("pt", {"SN": "Senegal", "CI": "Costa do Marfim", "CV": "Cabo Verde", "GW": "Guiné-Bissau", "BJ": "Benim"}),
])
def test_names_of_the_16_countries_are_translated(language, expected):
    with translation.override(language):
        names = dict(country_choices())
        assert set(names) == set(WEST_AFRICA)
        assert all(names.values())
        for code, name in expected.items():
            assert names[code] == name == country_name(code) == CountryCode(code).name
        assert [name for _code, name in country_choices()] == sorted(names.values(), key=_ascii_key)


def _ascii_key(name: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()


def test_countries_only_setting_lists_the_deployment_countries():
    assert {code for code, _name in global_countries} == set(WEST_AFRICA)


def test_a_country_code_is_a_plain_code_everywhere_it_travels():
    code = CountryCode("GH")
    assert code == "GH" and {"GH": 1}[code] == 1 and str(code) == "GH" and type(str(code)) is str
    assert json.dumps({"country": code}) == '{"country": "GH"}'
    assert pickle.loads(pickle.dumps(code)) == "GH"
    assert country_name("") == "" and country_name("zz") == "ZZ"


def test_model_reads_back_a_code_with_a_name_and_validates_against_the_16():
    from countries.models import CountryOverride

    row = CountryOverride(country="SN")
    assert isinstance(row.country, CountryCode) and row.country == "SN"
    with translation.override("fr"):
        assert row.country.name == "Sénégal"
    row.country = "FR"
    with pytest.raises(ValidationError) as refused:
        row.clean_fields()
    assert "country" in refused.value.message_dict
