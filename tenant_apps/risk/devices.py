"""Devices: first seen per user at sign-in, listed in the profile, signed out one by one.

A sign-in (API login, OTP login, page login) records the request's device for the user (a user's first device
is trusted; a later one is trusted once it passed a step-up) and binds what it issues to that device: the
refresh token's ``jti`` (the tokens also carry the device's public id in a ``dev`` claim) or the web session's
key. Signing a device out blacklists its refresh tokens, deletes its web sessions and, for the access tokens
already out (15 minutes at most), marks the device revoked in the cache the JWT authentication checks.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from shared_apps.core.errors import NotFound
from shared_apps.core.redis_cache import snapshot_prefix

from .models import DeviceSession, UserDevice
from .request_signals import current_signals, keyed_hash

logger = logging.getLogger(__name__)

DEVICE_CLAIM = "dev"


REVOKED_PREFIX = "risk:device-signed-out:"
snapshot_prefix(REVOKED_PREFIX)  # the JWT authentication's read: the first of the request's one MGET


def revoked_key(device_public_id: str) -> str:
    """The cache mark of a signed-out device, read by the JWT authentication with the token's session mark."""
    return f"{REVOKED_PREFIX}{device_public_id}"


def device_for_sign_in(*, user: Any) -> tuple[UserDevice, str]:
    """The request's device for ``user`` (created on first sight). Returns (device, new device id): the second is
    a fresh id when the request named none (an API client without ``X-Device-Id``): it is answered to the client
    so it can send it from now on."""
    signals = current_signals()
    issued = ""
    device_hash = signals.device_hash
    if not device_hash:
        issued = secrets.token_urlsafe(24)
        device_hash = keyed_hash("h:" + issued)
    now = timezone.now()
    with transaction.atomic():
        # lock: standalone
        device = UserDevice.objects.select_for_update().filter(user=user, device_hash=device_hash).first()
        if device is None:
            first = not UserDevice.objects.filter(user=user).exists()
            device = UserDevice.objects.create(
                user=user, device_hash=device_hash, channel=signals.channel if signals.channel != "system" else "api",
                user_agent=signals.user_agent, first_seen_at=now, last_seen_at=now, last_ip=signals.ip,
                trusted_at=now if first else None, trust_reason="first_device" if first else "")
        else:
            device.last_seen_at, device.last_ip = now, signals.ip or device.last_ip
            device.user_agent = signals.user_agent or device.user_agent
            device.signed_out_at = None  # signed in again on it
            device.save(update_fields=["last_seen_at", "last_ip", "user_agent", "signed_out_at"])
    cache.delete(revoked_key(str(device.public_id)))
    return device, issued


def bind_refresh_token(*, device_public_id: str, jti: str) -> bool:
    """Bind a refresh token to its device (signing the device out revokes it). Returns False when the device is
    signed out: the token is blacklisted instead, for the caller to refuse.

    Under the device's row lock, the one ``device_sign_out`` takes: a refresh rotating while its device is
    signed out either is bound before (the sign-out blacklists it) or sees the sign-out here. Without the lock
    the new token was bound after the sign-out read the device's tokens and outlived it.
    """
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    if not jti:
        return True
    with transaction.atomic():
        device = (UserDevice.objects.select_for_update().filter(public_id=device_public_id)  # lock: standalone
                  .only("pk", "signed_out_at").first())
        if device is None:
            return True
        if device.signed_out_at is None:
            DeviceSession.objects.get_or_create(kind=DeviceSession.KIND_JWT, key=str(jti)[:64],
                                                defaults={"device": device})
            return True
        outstanding = OutstandingToken.objects.filter(jti=str(jti)).first()
        if outstanding is not None:
            BlacklistedToken.objects.get_or_create(token=outstanding)
    return False


def bind_web_session(*, user: Any, session_key: str) -> UserDevice | None:
    device, _issued = device_for_sign_in(user=user)
    if session_key:
        DeviceSession.objects.get_or_create(kind=DeviceSession.KIND_SESSION, key=session_key[:64],
                                            defaults={"device": device})
    return device


def devices_of(*, user: Any) -> QuerySet[UserDevice]:
    return UserDevice.objects.filter(user=user).order_by("-last_seen_at", "-id")


def device_sign_out(*, user: Any, device_public_id: Any, request: Any = None) -> UserDevice:
    """Revoke what the device holds: refresh tokens (blacklisted), web sessions (deleted), current access tokens
    (refused by the authentication for their remaining life). Its trust is withdrawn too. Audited."""
    from django.contrib.sessions.models import Session
    from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

    from tenant_apps.audit.services import audit_record

    try:
        key = uuid.UUID(str(device_public_id))
    except ValueError:
        raise NotFound(gettext("No such device."), code="unknown_device") from None
    with transaction.atomic():
        device = UserDevice.objects.select_for_update().filter(user=user, public_id=key).first()  # lock: standalone
        if device is None:
            raise NotFound(gettext("No such device."), code="unknown_device")
        held = list(DeviceSession.objects.filter(device=device).values_list("kind", "key"))
        jtis = [k for kind, k in held if kind == DeviceSession.KIND_JWT]
        sessions = [k for kind, k in held if kind == DeviceSession.KIND_SESSION]
        outstanding = OutstandingToken.objects.filter(user=user, jti__in=jtis, blacklistedtoken__isnull=True)
        BlacklistedToken.objects.bulk_create([BlacklistedToken(token=token) for token in outstanding],
                                             ignore_conflicts=True)
        Session.objects.filter(session_key__in=sessions).delete()
        DeviceSession.objects.filter(device=device).delete()
        device.signed_out_at, device.trusted_at, device.trust_reason = timezone.now(), None, ""
        device.save(update_fields=["signed_out_at", "trusted_at", "trust_reason"])
        audit_record(action="device_signed_out", request=request, actor=user, subject_type="device",
                     subject_id=str(device.public_id), details={"tokens": len(jtis), "sessions": len(sessions)})
    lifetime = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"] + timedelta(seconds=60)
    try:
        cache.set(revoked_key(str(device.public_id)), 1, timeout=int(lifetime.total_seconds()))
    except Exception:  # the cache is down: the access token lapses within its lifetime
        logger.warning("device sign-out: the cache could not be told", exc_info=True)
    return device


def describe(device: UserDevice) -> str:
    """A short, human label from the user agent ("Chrome on Android", "Firefox on Windows", "API client")."""
    if device.channel == "ussd":  # tenant_apps.ussd: the caller's SIM
        return "USSD phone"
    agent = device.user_agent or ""
    browser = next((name for token, name in (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
                                              ("Chrome/", "Chrome"), ("Safari/", "Safari"), ("okhttp", "Android app"),
                                              ("CFNetwork", "iOS app"), ("python-requests", "API client"))
                    if token in agent), "")
    system = next((name for token, name in (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
                                             ("Windows", "Windows"), ("Mac OS", "macOS"), ("Linux", "Linux"))
                   if token in agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or ("Web browser" if device.channel == "web" else "App or API client")
