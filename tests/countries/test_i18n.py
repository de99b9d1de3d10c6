"""Language choice: user preference > Accept-Language > tenant default; translated API errors."""
from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import translation

from countries.middleware import choose_language

pytestmark = pytest.mark.django_db


def test_api_error_comes_back_in_french_on_sn(host_client):
    response = host_client("sn.localhost").get("/api/countries/XX")
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "unknown_country"
    assert error["message"] == "Pays inconnu XX : indiquez l'un des 16 codes ISO d'Afrique de l'Ouest."
    assert response["Content-Language"] == "fr"


def test_same_error_in_english_on_ng(host_client):
    response = host_client("ng.localhost").get("/api/countries/XX")
    assert response.json()["error"]["message"].startswith("Unknown country XX")
    assert response["Content-Language"] == "en"


def test_accept_language_beats_the_tenant_default(host_client):
    response = host_client("sn.localhost").get("/api/countries/XX", HTTP_ACCEPT_LANGUAGE="pt-PT,pt;q=0.9")
    assert response.json()["error"]["message"].startswith("País desconhecido XX")
    response = host_client("ng.localhost").get("/api/countries/XX", HTTP_ACCEPT_LANGUAGE="fr-SN, en;q=0.5")
    assert response.json()["error"]["message"].startswith("Pays inconnu XX")


def test_unsupported_accept_language_falls_back_to_the_tenant(host_client):
    response = host_client("sn.localhost").get("/api/countries/XX", HTTP_ACCEPT_LANGUAGE="de-DE, *;q=0.1")
    assert response.json()["error"]["message"].startswith("Pays inconnu")


def test_shared_error_messages_are_translated():
    from shared_apps.core.errors import NotFound

    with translation.override("fr"):
        assert str(NotFound.message) == "Introuvable."
    with translation.override("pt"):
        assert str(NotFound.message) == "Não encontrado."


def test_tenant_messages_are_translated():
    from tenants.models import TenantKind

    with translation.override("fr"):
        assert str(TenantKind.RESELLER_BRAND.label) == "Marque revendeur"


def test_country_payload_is_localised(host_client):
    body = host_client("sn.localhost").get("/api/countries/CI").json()
    assert body["name"] == "Côte d'Ivoire"  # django-countries' French name
    assert body["kyc_tiers"][0]["name"] == "Non vérifié"
    english = host_client("ng.localhost").get("/api/countries/CI").json()
    assert english["kyc_tiers"][0]["name"] == "Unverified"


class _User:
    is_authenticated = True

    def __init__(self, language):
        self.preferred_language = language


class _Tenant:
    def __init__(self, language):
        self.default_language = language


@pytest.mark.parametrize(("user", "header", "tenant", "expected"), [
    ("pt", "fr", "en", "pt"),       # the user's own choice wins
    ("", "fr-CI,fr;q=0.9", "en", "fr"),  # then the browser
    (None, "", "fr", "fr"),         # then the tenant
    (None, "", "", "en"),           # then LANGUAGE_CODE
    ("de", "sw", "pt", "pt"),       # unsupported choices are skipped
])
def test_choose_language_order(user, header, tenant, expected):
    request: Any = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=header)  # with stand-in user and tenant
    if user is not None:
        request.user = _User(user)
    request.tenant = _Tenant(tenant)
    assert choose_language(request) == expected


def test_authenticated_users_preference_through_the_middleware(host_client, tenant_sn):
    from django.contrib.auth import get_user_model
    from django_tenants.utils import schema_context

    from tests.support.tenants import TEST_PASSWORD

    client = host_client("sn.localhost")
    with schema_context("sn"):
        user = get_user_model().objects.create_user("pt-user@sn.example", TEST_PASSWORD, preferred_language="pt")
        client.force_login(user)  # the session row lives in the sn schema
    response = client.get("/api/countries/XX")
    assert response.json()["error"]["message"].startswith("País desconhecido XX")


def test_a_request_does_not_leak_its_language_into_the_thread(host_client):
    translation.activate("en")
    host_client("sn.localhost").get("/api/countries/XX")
    assert translation.get_language() == "en"


def test_activate_user_language_for_token_auth():
    from countries.middleware import activate_user_language

    request = RequestFactory().get("/")
    with translation.override("en"):
        assert activate_user_language(request, _User("fr")) == "fr"
        assert translation.get_language() == "fr" and request.LANGUAGE_CODE == "fr"
        assert activate_user_language(request, _User("")) is None
        assert translation.get_language() == "fr"
