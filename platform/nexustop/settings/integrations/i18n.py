"""Internationalisation: languages, locale selection, modeltranslation.

LANGUAGES / LANGUAGE_CODE / LOCALE_PATHS are in base.py. The request's
language is chosen by ``countries.middleware.TenantLocaleMiddleware``: the
user's preference, else Accept-Language, else the tenant's default language.
Translations: ``locale/<lang>/LC_MESSAGES/django.po`` (+ the compiled ``.mo``);
refresh with ``django-admin makemessages -l fr -l pt`` and ``compilemessages``.
"""

from __future__ import annotations

USE_I18N = True

# django-modeltranslation: translatable model fields get name_en / name_fr / name_pt
# columns; a missing translation falls back to English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "fr", "pt")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
MODELTRANSLATION_PREPOPULATE_LANGUAGE = "en"
