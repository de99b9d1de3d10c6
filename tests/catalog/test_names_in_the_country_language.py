"""Products read in the site's language (journeys on the Cabo Verde and Togo sites): airtime kept the providers'
English name ("CVMovel Cabo Verde Airtime", on the API, the receipt and the SMS) and bills their English customer
number label ("Meter number", "Smartcard number") under Portuguese and French pages."""

from __future__ import annotations

from typing import Any

import pytest

from provider_plugins.aggregator.simulator import DEFAULT_CREDENTIALS as RELOADLY_CREDENTIALS
from provider_plugins.aggregator.simulator import AggregatorSimulator
from provider_plugins.dtone.simulator import DEFAULT_CREDENTIALS as DTONE_CREDENTIALS
from provider_plugins.dtone.simulator import DTOneSimulator
from tests.support.country_sites import site_client, site_customer

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(country_sites):
    from shared_apps.catalog.services import catalog_sync_provider
    from shared_apps.providers.services import provider_register

    with AggregatorSimulator() as reloadly, DTOneSimulator() as dtone:
        for country in ("CV", "TG"):
            common: dict[str, Any] = {"country": country, "timeout_seconds": 2, "options": {"countries": [country]}}
            catalog_sync_provider(provider_id=provider_register(
                name=f"Reloadly names {country}", plugin_key="aggregator", base_url=reloadly.url,
                credentials=dict(RELOADLY_CREDENTIALS), capabilities=["airtime", "data", "electricity", "cable_tv"],
                routing_priority=1, **common).pk)
            catalog_sync_provider(provider_id=provider_register(
                name=f"DT One names {country}", plugin_key="dtone", base_url=dtone.url + "/v1",
                credentials=dict(DTONE_CREDENTIALS), capabilities=["airtime", "data"], routing_priority=2,
                **common).pk)
    yield


def listed(country: str, language: str) -> list[dict]:
    client = site_client(site_customer(country), country)
    answer = client.get("/api/products", {"country": country, "page_size": "100"}, HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    return body["results"] if isinstance(body, dict) else body


def test_airtime_names_and_bill_labels_in_portuguese_and_french(synced):
    cv = listed("CV", "pt")
    airtime = {p["name"] for p in cv if p["type"] == "airtime" and p["provider"]["name"].startswith("Reloadly")}
    assert "Recarga CVMovel Cabo Verde" in airtime, airtime
    assert not [p["name"] for p in cv if "Airtime" in p["name"]]
    [electra] = [p for p in cv if p["type"] == "electricity"]
    assert electra["customer_number_label"] == "Número do contador"

    tg = listed("TG", "fr")
    assert not [p["name"] for p in tg if "Airtime" in p["name"]]
    assert {p["name"] for p in tg if p["type"] == "airtime"} >= {"Recharge Moov Africa Togo"}
    labels = {p["type"]: p["customer_number_label"] for p in tg if p["type"] in ("electricity", "cable_tv")}
    assert labels == {"electricity": "Numéro du compteur", "cable_tv": "Numéro de la carte"}, labels

    english = listed("TG", "en")  # the provider's own English name stays the English one
    assert "Moov Africa Togo Airtime" in {p["name"] for p in english}
    assert {p["customer_number_label"] for p in english if p["type"] == "electricity"} == {"Meter number"}


def test_storefront_and_shop_write_the_airtime_percentage_in_the_pages_language(synced, country_sites, host_client):
    """The home page said "paga 98.94 % do valor" on the Cabo Verde site (a float, with the English decimal point)."""
    from tests.support.country_sites import SITES

    home = host_client(SITES["CV"][1]).get("/", HTTP_ACCEPT_LANGUAGE="pt")
    assert home.status_code == 200
    text = home.content.decode()
    assert "paga 98,94\u00a0% do valor" in text or "paga 98,94 % do valor" in text, text[:200]
    assert "98.94" not in text
    home = host_client(SITES["TG"][1]).get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert "you pay 98.94 % of it" in home.content.decode()
