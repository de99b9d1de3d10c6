"""The tenant's USSD channel settings and the callback's authentication (tokens, addresses)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shared_apps.core.errors import ApiError
from tenant_apps.audit.models import AuditAction
from tenant_apps.audit.services import audit_record

from .models import UssdChannel, service_code_format

logger = logging.getLogger(__name__)
CALLBACK_PATH = "/ussd/africastalking/{token}"
EVENTS_PATH = "/ussd/africastalking/{token}/events"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def channel_settings() -> UssdChannel:
    row = UssdChannel.objects.filter(singleton=True).first()
    return row if row is not None else UssdChannel(singleton=True)


def channel_update(*, actor: Any, enabled: bool | None = None, service_code: str | None = None,
                   request: Any = None) -> UssdChannel:
    """Change the service code and/or switch the channel on or off (on needs a code). Audited."""
    with transaction.atomic():
        row, _created = UssdChannel.objects.select_for_update().get_or_create(singleton=True)  # lock: standalone
        before = {"enabled": row.enabled, "service_code": row.service_code}
        if service_code is not None:
            service_code = service_code.strip()
            if service_code:
                try:
                    service_code_format(service_code)
                except ValidationError:
                    raise ApiError(_("Some fields are invalid."), code="validation_error",
                                   fields={"service_code": [str(_("Use a USSD code such as *384*123#."))]}) from None
            row.service_code = service_code
        if enabled is not None:
            row.enabled = enabled
        if row.enabled and not row.service_code:
            raise ApiError(_("Some fields are invalid."), code="validation_error",
                           fields={"service_code": [str(_("Set the service code before switching USSD on."))]})
        row.save()
        audit_record(action=AuditAction.USSD_CHANNEL_CHANGED, request=request, actor=actor, subject_type="ussd",
                     details={"from": before, "to": {"enabled": row.enabled, "service_code": row.service_code}})
    return row


def channel_rotate_token(*, actor: Any, request: Any = None) -> str:
    """A new secret for the callback URL (the old one stops working at once); returned once, never stored."""
    token = secrets.token_urlsafe(24)
    with transaction.atomic():
        row, _created = UssdChannel.objects.select_for_update().get_or_create(singleton=True)  # lock: standalone
        row.token_hash, row.token_hint, row.token_created_at = _digest(token), token[-4:], timezone.now()
        row.save(update_fields=["token_hash", "token_hint", "token_created_at", "updated_at"])
        audit_record(action=AuditAction.USSD_CHANNEL_CHANGED, request=request, actor=actor, subject_type="ussd",
                     details={"token": "rotated", "hint": row.token_hint})
    return token


def callback_urls(*, base_url: str, token: str) -> dict[str, str]:
    base = base_url.rstrip("/")
    return {"callback_url": base + CALLBACK_PATH.format(token=token),
            "events_url": base + EVENTS_PATH.format(token=token)}


def token_matches(row: UssdChannel, token: str) -> bool:
    if not row.token_hash or not token or len(token) > 100:
        return False
    return hmac.compare_digest(row.token_hash, _digest(token))


def address_allowed(ip: str | None) -> bool:
    """True when no gateway addresses are configured, or ``ip`` is in one of them."""
    allowed = settings.USSD.get("ALLOWED_IPS") or []
    if not allowed:
        return True
    try:
        address = ipaddress.ip_address(ip or "")
    except ValueError:
        return False
    for item in allowed:
        try:
            if address in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            logger.error("USSD_GATEWAY_ALLOWED_IPS has an entry that is not an address or network")
    return False
