"""The request's risk signals (device, IP, channel, step-up proof), readable anywhere below the middleware.

``DeviceMiddleware`` puts one :class:`RequestSignals` in a context variable for the request; the JWT
authentication adds the device its access token was issued to; the gate reads it. Code that runs without a
request (Celery: subscription runs, webhooks) sees the ``system`` channel with no device and no IP.
"""

from __future__ import annotations

import hashlib
import re
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings

DEVICE_HEADER = "X-Device-Id"
STEP_UP_HEADER = "X-Step-Up"
# An app's device id: 16 to 64 characters of letters, digits and - _ . : (a UUID, an Android id, a hash).
DEVICE_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{16,64}$")
UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


@dataclass
class RequestSignals:
    channel: str = "system"  # api, web, api_key (a reseller's signed server request), ussd, system
    device_hash: str = ""  # keyed hash of the device id (header or cookie), never the id itself
    token_device: str = ""  # the public id of the device the access token was issued to (``dev`` claim)
    ip: str | None = None
    user_agent: str = ""
    step_up: str = ""  # the challenge the request says it passed (``X-Step-Up`` / the page's hidden field)

    @property
    def interactive(self) -> bool:
        """A person is there to answer a step-up (not a beat task or a webhook)."""
        return self.channel in ("api", "web")


_SYSTEM = RequestSignals()
_current: ContextVar[RequestSignals | None] = ContextVar("risk_signals", default=None)


def current_signals() -> RequestSignals:
    return _current.get() or _SYSTEM


def set_signals(signals: RequestSignals | None):
    """Make ``signals`` current; returns the token for :func:`reset_signals`."""
    return _current.set(signals)


def reset_signals(token) -> None:
    _current.reset(token)


def note_api_key() -> None:
    """The request is signed with a reseller's API key: a server, not a person on a device."""
    signals = _current.get()
    if signals is not None:
        signals.channel = "api_key"


def note_token_device(device_public_id: str) -> None:
    """The request's access token was issued to this device (its ``dev`` claim)."""
    signals = _current.get()
    if signals is not None:
        signals.token_device = device_public_id


def _key() -> bytes:
    """The hashing key: ``RISK_HASH_KEY``, else derived from SECRET_KEY (a rotation would make every device
    and recipient look new: set RISK_HASH_KEY in production, docs/risk.md)."""
    explicit = getattr(settings, "RISK_HASH_KEY", "")
    material = explicit or "risk:" + settings.SECRET_KEY
    return hashlib.sha256(material.encode()).digest()


def keyed_hash(value: str) -> str:
    """32 hex characters; equal inputs give equal hashes within one deployment, nothing leaks the input."""
    if not value:
        return ""
    return hashlib.blake2b(value.encode(), key=_key(), digest_size=16).hexdigest()
