"""One renderer for every outgoing SMS and email: per-language templates with the tenant's branding.

``notify_sms(to=..., template="order_delivered", context={...}, user=buyer, secrets=[code])``
renders ``notifications/<template>.sms.txt`` in the recipient's language (their
``preferred_language``, else the tenant's default language, else English) with
``brand`` (``shared_apps.core.branding.Brand``: name, colours, logo, support
contacts) in the context, then sends it through ``sms_send``; the stored copy has
every secret masked. ``notify_email`` renders
``<template>.subject.txt``, ``<template>.email.txt`` and, when present,
``<template>.email.html`` (branded layout ``notifications/email_base.html``:
logo, brand colour header, support contacts) and sends both parts.
Wording lives in the templates (translated through the normal catalogues).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import connection
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from shared_apps.core.branding import Brand, brand_for
from tenants.connection import current_schema

logger = logging.getLogger(__name__)
SUPPORTED = {code for code, _name in settings.LANGUAGES}


@dataclass(frozen=True)
class Rendered:
    language: str
    text: str
    subject: str = ""
    html: str = ""


def current_brand() -> Brand:
    """The brand of the schema the connection is in (a task or ``schema_context`` may only know its name)."""
    from tenants.models import Tenant

    tenant = getattr(connection, "tenant", None)
    if not isinstance(tenant, Tenant):
        tenant = Tenant.objects.filter(schema_name=current_schema()).first()
    return brand_for(tenant)


def message_language(*, user: Any = None, language: str | None = None, brand: Brand | None = None) -> str:
    for candidate in (language, getattr(user, "preferred_language", ""), (brand or current_brand()).language):
        if candidate and candidate[:2] in SUPPORTED:
            return candidate[:2]
    return "en"


def _render(name: str, context: dict) -> str:
    return render_to_string(f"notifications/{name}", context).strip()


def render_message(*, template: str, context: dict | None = None, user: Any = None, language: str | None = None,
                   channel: str = "sms") -> Rendered:
    """Render ``template`` for ``channel`` ("sms" or "email") in the recipient's language, branded."""
    brand = current_brand()
    lang = message_language(user=user, language=language, brand=brand)
    full = {"brand": brand, "language": lang, **(context or {})}
    with translation.override(lang):
        if channel == "sms":
            return Rendered(lang, " ".join(_render(f"{template}.sms.txt", full).split()))
        subject = " ".join(_render(f"{template}.subject.txt", full).split())
        text = _render(f"{template}.email.txt", full)
        try:
            html = _render(f"{template}.email.html", {**full, "subject": subject})
        except TemplateDoesNotExist:
            html = _render("email_base.html", {**full, "subject": subject, "body_text": text})
        return Rendered(lang, text, subject, html)


def _redact(text: str, secrets: list[str] | None, mask: str | None) -> str:
    for secret in secrets or []:
        if secret:
            text = text.replace(secret, mask if mask is not None else "*" * len(secret))
    return text


def notify_sms(*, to: str, template: str, purpose: str, context: dict | None = None, user: Any = None,
               language: str | None = None, secrets: list[str] | None = None, mask: str | None = None):
    """Render and send one SMS now (never raises for provider trouble; see ``sms_send``).

    The stored copy has each of ``secrets`` replaced by ``mask`` (default: one * per character).
    """
    from .services import sms_send

    rendered = render_message(template=template, context=context, user=user, language=language)
    return sms_send(to=to, text=rendered.text, purpose=purpose, redacted_text=_redact(rendered.text, secrets, mask))


def notify_email(*, to: str, template: str, context: dict | None = None, user: Any = None,
                 language: str | None = None) -> bool:
    """Render and send one email (text + branded HTML); False when the mail server refused it."""
    rendered = render_message(template=template, context=context, user=user, language=language, channel="email")
    brand = current_brand()
    message = EmailMultiAlternatives(rendered.subject, rendered.text, None, [to],
                                     reply_to=[brand.support_email] if brand.support_email else None)
    message.attach_alternative(rendered.html, "text/html")
    try:
        message.send()
    except Exception:  # a mail outage never breaks the caller
        logger.exception("email %s to %s failed", template, to)
        return False
    return True
