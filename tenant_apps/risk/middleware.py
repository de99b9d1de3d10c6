"""Device signals of every request: the web's long-lived device cookie and the API's ``X-Device-Id``.

* Pages: a random device id in a signed, HttpOnly, SameSite=Lax cookie (``RISK_DEVICE_COOKIE_NAME``, two years
  by default, Secure whenever the session cookie is) set on the first page answered without one.
* API: the ``X-Device-Id`` header (16–64 characters of ``A-Z a-z 0-9 . _ : -``; anything else is refused
  with 400 ``invalid_device_id`` before a view runs); a browser calling the API sends its cookie instead.
  With neither, the device the access token was issued to counts (its ``dev`` claim, added by the JWT
  authentication).
* ``X-Step-Up``: the step-up challenge the request says it passed (a UUID, else 400 ``invalid_step_up``).

Only a keyed hash of the device id is ever kept (``request_signals.keyed_hash``).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core import signing

from shared_apps.core.errors import error_response

from .request_signals import (
    DEVICE_HEADER,
    DEVICE_ID_PATTERN,
    STEP_UP_HEADER,
    UUID_PATTERN,
    RequestSignals,
    keyed_hash,
    reset_signals,
    set_signals,
)

COOKIE_SALT = "nexustop.risk.device"
# Paths that are not pages a person browses: no cookie is minted there.
_NO_COOKIE_PREFIXES = ("/api/", "/webhook/", "/ussd/", "/static/", "/health", "/metrics", "/admin/")


def _client_ip(request) -> str | None:
    from tenant_apps.audit.services import client_ip

    return client_ip(request)


class DeviceMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info or "/"
        api = path.startswith("/api/")
        name = settings.RISK_DEVICE_COOKIE_NAME
        raw = ""
        header = request.headers.get(DEVICE_HEADER) if api else None  # pages use the cookie, webhooks neither
        if header is not None:
            if not DEVICE_ID_PATTERN.match(header):
                return error_response("invalid_device_id", f"{DEVICE_HEADER} must be 16 to 64 letters, digits or "
                                      ". _ : - characters.", 400, {DEVICE_HEADER: ["Invalid device id."]})
            raw = "h:" + header
        cookie = ""
        if name in request.COOKIES:
            try:
                cookie = request.get_signed_cookie(name, salt=COOKIE_SALT, max_age=settings.RISK_DEVICE_COOKIE_AGE)
            except (signing.BadSignature, KeyError):
                cookie = ""  # tampered or expired: a new one below
        mint = not cookie and not path.startswith(_NO_COOKIE_PREFIXES)
        if mint:
            cookie = secrets.token_urlsafe(24)
        if not raw and cookie:
            raw = "c:" + cookie
        step_up = request.headers.get(STEP_UP_HEADER, "") if api else ""
        if step_up and not UUID_PATTERN.match(step_up):
            return error_response("invalid_step_up", f"{STEP_UP_HEADER} must be the challenge id of a step-up.", 400,
                                  {STEP_UP_HEADER: ["Not a challenge id."]})
        signals = RequestSignals(channel="api" if api else "web", device_hash=keyed_hash(raw),
                                 ip=_client_ip(request), user_agent=request.headers.get("User-Agent", "")[:200],
                                 step_up=step_up.lower())
        request.risk_signals = signals
        token = set_signals(signals)
        try:
            response = self.get_response(request)
        finally:
            reset_signals(token)
        if mint:
            response.set_signed_cookie(name, cookie, salt=COOKIE_SALT, max_age=settings.RISK_DEVICE_COOKIE_AGE,
                                       httponly=True, samesite="Lax", path="/",
                                       secure=bool(settings.SESSION_COOKIE_SECURE or request.is_secure()))
        return response
