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


def _answered(middleware_response, request, response):
    """A response's Vary and Content-Language after ``middleware_response``, and the language left active."""
    translation.activate("fr")
    answered = middleware_response(request, response)
    return answered, answered.get("Vary"), answered.get("Content-Language"), translation.get_language()


@pytest.mark.parametrize("status, headers", [
    (200, {}),
    (202, {"Vary": "Cookie"}),
    (404, {"Vary": "Accept-Language, Origin", "Content-Language": "pt"}),
    (500, {"Content-Language": "en"}),
])
@pytest.mark.parametrize("path", ["/api/purchase", "/fr/portal/", "/en", "/"])
def test_the_locale_answer_is_djangos_without_language_prefixed_urls(status, headers, path):
    """TenantLocaleMiddleware.process_response skips LocaleMiddleware's path parse when no URL pattern is
    language-prefixed (this project): same headers, same response, the language deactivated as before."""
    from django.http import HttpResponse
    from django.middleware.locale import LocaleMiddleware

    from countries.middleware import TenantLocaleMiddleware

    def reference(request, response):
        response = LocaleMiddleware(lambda request: response).process_response(request, response)
        translation.deactivate()
        return response

    middleware = TenantLocaleMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get(path)
    ours = _answered(middleware.process_response, request, HttpResponse(status=status, headers=dict(headers)))
    django = _answered(reference, request, HttpResponse(status=status, headers=dict(headers)))
    assert ours[1:] == django[1:]
    assert ours[0].status_code == django[0].status_code == status
    assert ours[2] == headers.get("Content-Language", "fr")  # the request's language, unless the view set one


def test_with_language_prefixed_urls_the_locale_answer_is_djangos_own():
    """Should the URLs ever be prefixed (i18n_patterns), Django's process_response runs whole (its redirect)."""
    from unittest import mock

    from django.http import HttpResponse
    from django.middleware.locale import LocaleMiddleware

    from countries.middleware import TenantLocaleMiddleware

    middleware = TenantLocaleMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/api/purchase")
    response = HttpResponse()
    with mock.patch("countries.middleware.is_language_prefix_patterns_used", return_value=(True, False)), \
            mock.patch.object(LocaleMiddleware, "process_response", return_value=response) as django:
        assert middleware.process_response(request, response) is response
    django.assert_called_once_with(request, response)


def test_without_language_prefixed_urls_no_path_is_parsed_for_a_language():
    """The cost saved: LocaleMiddleware parses every request's path for a language prefix (an exception for
    /api/...), which decides nothing here."""
    from unittest import mock

    from django.http import HttpResponse

    from countries.middleware import TenantLocaleMiddleware

    middleware = TenantLocaleMiddleware(lambda request: HttpResponse())
    translation.activate("pt")
    with mock.patch("django.utils.translation.get_language_from_path", side_effect=AssertionError("parsed")):
        response = middleware.process_response(RequestFactory().get("/api/purchase"), HttpResponse())
    assert response["Content-Language"] == "pt" and response["Vary"] == "Accept-Language"


@pytest.mark.parametrize(("language", "expected"), [("fr", "Frais\u00a0: 5"), ("en", "Fee: 5"), ("pt", "Taxa: 5")])
def test_a_label_colon_follows_the_pages_language(language, expected):
    """French sets a no-break space before a colon; English and Portuguese do not."""
    from django.template import Context, Template

    template = Template('{% load i18n ui %}{% translate "Fee" %}{% colon %} 5')
    with translation.override(language):
        assert template.render(Context()) == expected


def test_no_template_glues_a_colon_to_a_translated_label():
    """``{% translate "Fee" %}:`` would read ``Frais:`` in French: labels take ``{% colon %}``."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    glued = re.compile(r'(?:trans|translate) "[^"]*" ?%\}:')
    offenders = [str(path.relative_to(root)) for folder in ("tenant_apps", "shared_apps", "tenants")
                 for path in (root / folder).rglob("*.html") if glued.search(path.read_text())]
    assert offenders == []


def test_no_template_glues_a_colon_to_a_variable_label():
    """``{{ tier.name }}: ...`` read ``Non vérifié: jusqu'à ...`` on the French KYC page (a translated tier name as a
    label): outside a translated block, a colon after a variable or a tag is ``{% colon %}`` too."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    blocks = re.compile(r"\{% blocktrans(?:late)?\b.*?\{% endblocktrans(?:late)? %\}", re.S)
    glued = re.compile(r"(?:\}\}|%\}): ")
    offenders = [str(path.relative_to(root)) for folder in ("tenant_apps", "shared_apps", "tenants")
                 for path in (root / folder).rglob("*.html") if glued.search(blocks.sub("", path.read_text()))]
    assert offenders == []
