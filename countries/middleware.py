"""Pick each request's language: the user's choice, else the browser's, else the tenant's default.

Order: ``request.user.preferred_language`` (authenticated users) → the
language cookie → ``Accept-Language`` → ``request.tenant.default_language`` →
``settings.LANGUAGE_CODE``. Only languages in ``settings.LANGUAGES`` are used.
Must sit after AuthenticationMiddleware (for the user) and after the tenant
routing middleware (for ``request.tenant``).
"""

from __future__ import annotations

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import trans_real

from .overrides import overrides_memo


def supported(code: str | None) -> str | None:
    """The supported language for ``code`` (``fr-SN`` -> ``fr``), or None."""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code.strip())
    except LookupError:
        return None


def language_from_accept_header(header: str) -> str | None:
    for accept_lang, _quality in trans_real.parse_accept_lang_header(header):
        if accept_lang == "*":
            continue
        found = supported(accept_lang)
        if found:
            return found
    return None


def choose_language(request) -> str:
    user = getattr(request, "user", None)
    if user is not None and getattr(user, "is_authenticated", False):
        found = supported(getattr(user, "preferred_language", "") or "")
        if found:
            return found
    found = supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
    if found:
        return found
    found = language_from_accept_header(request.headers.get("Accept-Language", ""))
    if found:
        return found
    tenant = getattr(request, "tenant", None)
    found = supported(getattr(tenant, "default_language", "") or "")
    return found or settings.LANGUAGE_CODE


def activate_user_language(request, user) -> str | None:
    """For token (JWT) auth, which DRF resolves inside the view, after this middleware ran:
    call it once the user is known to switch the rest of the request to their language."""
    found = supported(getattr(user, "preferred_language", "") or "")
    if found:
        translation.activate(found)
        request.LANGUAGE_CODE = found
    return found


class TenantLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (Content-Language, Vary) with the tenant-aware choice above."""

    def process_request(self, request):
        language = choose_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request, response):
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        if is_language_prefix_patterns_used(urlconf)[0]:
            response = super().process_response(request, response)
        else:
            # LocaleMiddleware.process_response when no URL pattern is language-prefixed (this project's): its
            # redirect and its language-in-the-path test both need such patterns, so what it does comes down to
            # these two steps, without parsing the path for a language per request.
            language = translation.get_language()
            patch_vary_headers(response, ("Accept-Language",))
            response.headers.setdefault("Content-Language", language)
        # Don't leak this request's language into whatever the thread runs next.
        translation.deactivate()
        return response


class OverridesMemoMiddleware:
    """Country overrides read once per request (``countries.overrides.overrides_memo``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with overrides_memo():
            return self.get_response(request)
