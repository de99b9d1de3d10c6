"""Personal data never reaches a log line: one redaction step in the logging pipeline.

``redact_personal_data`` is a structlog processor in the JSON (and console) formatter
(settings/integrations/logging.py), so it sees every record: our structlog loggers, Django's
(``django.request`` attaches the request, whose repr carries the query string), Celery's and the
libraries', message text and ``extra`` fields, exception text included. It:

* replaces the value of fields that hold personal data by name (``phone``, ``email``, ``bvn``,
  ``nin``, ``account_number``, ``first_name``...) with ``[redacted]``;
* rewrites, in every string, e-mail addresses (also URL-encoded), international phone numbers
  (``+234...``, ``%2B234...``) and runs of 10 to 15 digits (local phone numbers, BVN/NIN,
  bank account numbers) to ``[email]``, ``[phone]``, ``[number]``;
* logs a request object as its method and path, without the query string;
* hides secret path tokens (the USSD callback URL's, ``/ussd/<gateway>/<token>``) as ``[token]``;
* hides the value of secret query parameters (``app_id=``, ``api_key=``, ``access_token=``, ``secret=``...: a
  provider that takes its key in the URL, as Open Exchange Rates does, logged by urllib3 at DEBUG) as ``[secret]``.

Names in free text cannot be recognised by shape: code logs ids (``public_id``, references), never a
person's name in a message; fields named like names are redacted.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"
SENSITIVE_KEYS = frozenset({
    "phone", "phone_number", "msisdn", "recipient", "recipient_phone", "customer_phone", "contact_phone",
    "to_phone", "email", "contact_email", "to_email", "user_email", "actor_email", "bvn", "nin", "id_number",
    "kyc_number", "identity_number", "account_number", "bank_account", "account_name", "first_name", "last_name",
    "full_name", "customer_name", "contact_name", "beneficiary", "beneficiary_name", "holder_name", "password",
    "query_string", "meter_number", "smartcard_number", "customer_number",
})
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+(?:@|%40)[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_INTERNATIONAL_PHONE = re.compile(r"(?:\+|%2B|%2b)\d{7,15}(?!\d)")
_LONG_NUMBER = re.compile(r"(?<![\w-])\d{10,15}(?![\w-])")
_PATH_TOKEN = re.compile(r"(/ussd/[a-z_]+/)[A-Za-z0-9_-]{8,}")
_SECRET_PARAM = re.compile(
    r"((?<![A-Za-z0-9_])(?:app_?id|api_?key|access_?token|auth_?token|client_?secret|secret|token|key|password|"
    r"signature)=)[^&;\s\"'#]+", re.IGNORECASE)
_KEEP = (bool, int, float, type(None))
_PLAIN = frozenset(_KEEP)  # exactly these types (``type(value) in _PLAIN``): kept as they are
_MAX_DEPTH = 6


# Any text one of the five patterns below could change (digits, an e-mail's @, a USSD path, a query parameter):
# most log strings (event names, methods, paths, levels) have none, and one search replaces five substitutions.
_MAYBE_PERSONAL = re.compile(r"\d|@|%40|/ussd/|=")


def redact_path_token(path: str) -> str:
    """A request path with its secret token hidden (the USSD callback URL's), for records made with it: a handler
    that renders records raw (not through the redacting formatter) must not show the token either."""
    return _PATH_TOKEN.sub(r"\1[token]", path) if "/ussd/" in path else path


def redact_text(text: str) -> str:
    if _MAYBE_PERSONAL.search(text) is None:  # the replacements below add no digit, "@", "=" or path either
        return text
    if "=" in text:
        text = _SECRET_PARAM.sub(r"\1[secret]", text)
    # Each substitution only where its pattern could match: the literal every match contains is in the text (a
    # substring test costs far less than a search; the e-mail pattern's search is slow on long ids and
    # timestamps). The replacements add none of these literals, so the result is the five substitutions'.
    if "/ussd/" in text:
        text = _PATH_TOKEN.sub(r"\1[token]", text)
    if "@" in text or "%40" in text:
        text = _EMAIL.sub("[email]", text)
    if "+" in text or "%2" in text:  # "+", "%2B" or "%2b"
        text = _INTERNATIONAL_PHONE.sub("[phone]", text)
    if len(text) >= 10:  # at least ten digits
        text = _LONG_NUMBER.sub("[number]", text)
    return text


def _request_summary(value: Any) -> str | None:
    method, path = getattr(value, "method", None), getattr(value, "path", None)
    if isinstance(method, str) and isinstance(path, str) and hasattr(value, "META"):
        return redact_text(f"{method} {path}")
    return None


def _redact(value: Any, depth: int = 0) -> Any:
    if isinstance(value, _KEEP):
        return value
    if isinstance(value, str):
        return redact_text(value)
    if depth >= _MAX_DEPTH:
        return REDACTED
    if isinstance(value, dict):
        return _redact_dict(value, depth)
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact(item, depth + 1) for item in value]
    summary = _request_summary(value)
    if summary is not None:
        return summary
    return redact_text(str(value))


def _redact_dict(value: dict, depth: int) -> dict:
    """A sensitive key's value (unless empty) is :data:`REDACTED`, any other value ``_redact(item, depth + 1)``.

    Plain strings, numbers and ``None`` (most of a log line's values) are handled here, without the call: what
    ``_redact`` does with exactly these types (subclasses, such as an ``IntEnum``, take the general path).
    """
    redacted = {}
    for key, item in value.items():
        if (key.lower() in SENSITIVE_KEYS if type(key) is str else _is_sensitive(key)) and item not in (None, ""):
            redacted[key] = REDACTED
        elif type(item) is str:
            redacted[key] = redact_text(item)
        elif type(item) in _PLAIN:
            redacted[key] = item
        else:
            redacted[key] = _redact(item, depth + 1)
    return redacted


def _is_sensitive(key: Any) -> bool:
    return isinstance(key, str) and key.lower() in SENSITIVE_KEYS


def redact_personal_data(_logger: Any, _method: str, event_dict: dict) -> dict:
    """structlog processor: the event dict with personal data removed (see the module docstring)."""
    return _redact_dict(event_dict, 0) if type(event_dict) is dict else _redact(event_dict)
