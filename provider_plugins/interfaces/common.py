"""Shared vocabulary for every capability: outcome status, configuration, errors.

Rules every connector follows:

* Connectors are stateless translators of a provider's wire protocol. The core
  owns persistence; a connector never touches the database.
* A provider answer maps to ``SUCCESS`` or ``FAILED`` only when it is clearly
  final. Anything else (timeouts, 5xx, unknown codes, "processing") is
  ``PENDING``: the core will requery. Never guess "failed" — the provider may
  have delivered the value.
* Errors the *user* can fix (bad number, wrong meter) raise
  :class:`UserFixableError`; provider faults raise :class:`ProviderFault`.
  A fault raised *before* the provider could act (e.g. connection refused on a
  request that never left) may be retried elsewhere; a fault *after* sending
  (timeout waiting for the answer) is an unclear outcome → ``PENDING``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DuplicateRequest",
    "InvalidAmount",
    "InvalidCustomer",
    "InvalidRecipient",
    "OutcomeStatus",
    "ProductUnavailable",
    "ProviderAuthError",
    "ProviderConfig",
    "ProviderError",
    "ProviderFault",
    "ProviderLowBalance",
    "ProviderProtocolError",
    "ProviderTimeout",
    "ProviderUnavailable",
    "SignatureError",
    "UserFixableError",
    "gettext_noop",
]


def gettext_noop(message: str) -> str:
    """Mark a text a user may read (a ``UserFixableError``'s), for the catalogues: a connector cannot import
    Django, so the core translates it where it becomes an API error (``shared_apps.providers.messages``).
    ``makemessages`` extracts it like Django's own ``gettext_noop``. Placeholders are named (``%(currency)s``)
    and their values go in the error's ``params``."""
    return message


class OutcomeStatus(enum.StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
    PENDING = "pending"


@dataclass(frozen=True)
class ProviderConfig:
    """Everything a connector needs for one call; built by the core from the registry.

    ``credentials`` are decrypted by the core just before the call and must never
    be logged or echoed by a connector. ``session`` is an optional pooled HTTP
    session (``requests.Session``) the core may share between calls.
    """

    base_url: str
    credentials: dict[str, str] = field(default_factory=dict, repr=False)
    timeout_seconds: float = 30.0
    options: dict[str, Any] = field(default_factory=dict)
    session: Any = field(default=None, repr=False, compare=False)


class ProviderError(Exception):
    """Base of everything a connector raises. ``code`` is stable and machine-readable."""

    code = "provider_error"
    # The text before its ``params`` are placed (a msgid when marked with ``gettext_noop``); str() is English.
    template = ""
    params: dict[str, Any] = {}

    def __init__(self, message: str = "", *, code: str | None = None, provider_code: str = "",
                 raw: dict[str, Any] | None = None, params: dict[str, Any] | None = None) -> None:
        self.template = message
        self.params = dict(params or {})
        super().__init__((message % self.params if self.params else message) or self.__class__.__doc__ or self.code)
        if code:
            self.code = code
        self.provider_code = provider_code
        self.raw = raw or {}


class UserFixableError(ProviderError):
    """The request is wrong in a way the user can correct; nothing was charged."""

    code = "invalid_request"


class InvalidRecipient(UserFixableError):
    """The phone number is not valid for this product or network."""

    code = "invalid_recipient"


class InvalidCustomer(UserFixableError):
    """The meter number, smartcard or account was not found by the provider."""

    code = "invalid_customer"


class InvalidAmount(UserFixableError):
    """The amount is outside what the provider accepts for this product."""

    code = "invalid_amount"


class ProductUnavailable(UserFixableError):
    """The product or variation does not exist (any more) at the provider."""

    code = "product_unavailable"


class ProviderFault(ProviderError):
    """Something is wrong on the provider's side or between us; not the user's fault."""

    code = "provider_fault"
    # Whether the request may have reached the provider (gateway_http says when it knows it did not).
    sent: bool = True


class ProviderTimeout(ProviderFault):
    """No answer in time: the outcome is unknown (treat as pending, requery)."""

    code = "provider_timeout"


class ProviderUnavailable(ProviderFault):
    """The provider refused service (5xx, maintenance, connection refused)."""

    code = "provider_unavailable"


class ProviderLowBalance(ProviderFault):
    """Our float/wallet at the provider is too low to fulfil."""

    code = "provider_low_balance"


class ProviderAuthError(ProviderFault):
    """Our credentials were refused: an operator must fix the registry entry."""

    code = "provider_auth_error"


class ProviderProtocolError(ProviderFault):
    """The provider answered something we cannot interpret."""

    code = "provider_protocol_error"


class DuplicateRequest(ProviderFault):
    """The provider says this request id was already used: requery it, never resubmit."""

    code = "duplicate_request"


class SignatureError(ProviderError):
    """A webhook's signature or token did not verify."""

    code = "bad_signature"
