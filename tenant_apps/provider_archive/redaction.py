"""Redaction of one exchange before it is stored: secrets removed, personal numbers masked.

Three layers, so that a provider's odd field name does not leak a secret:

1. by key - headers, JSON keys, form fields and URL query parameters whose name says secret
   (Authorization, api-key, token, signature, password, PIN, ...) become ``[REDACTED]``; names that
   say personal number (phone, msisdn, account number, card, meter, billersCode, ...) keep their last
   four digits; names that say personal name or e-mail are masked;
2. by value - every credential value of the provider's config and every personal value the core knows
   for the attempt (the recipient's phone in any format: ``+234803...``, ``0803...``) is replaced
   wherever it appears, in paths, bodies that are not JSON, and error texts;
3. long digit runs in URL paths (``/accountholder/msisdn/233241234567``) are masked.

Cost (issue 18: every order's exchanges are redacted by the dispatcher): a key's kind is decided once per
process (``_key_kind``, a bounded memo of the three key patterns), and a personal number is masked without
compiling a pattern per call (``_mask_numbers``, the exact matches of ``\\+?\\d*<last 9 digits>``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"

SECRET_KEY = re.compile(
    r"authori[sz]ation|api[-_]?key|apikey|secret|token|signature|passw|pwd|(^|[-_])pin($|[-_])|^pins?$|otp|cvv|cvc"
    r"|private|credential|client[-_]?id|partner[-_]?id|hash|cookie|^x-.*(key|auth|sign)|public[-_]?key",
    re.IGNORECASE)
NUMBER_KEY = re.compile(
    r"phone|msisdn|mobile|recipient|account[-_]?(number|no|num)|accountnumber|billers?code|customer[-_]?(number|id)"
    r"|customerid|card|^pan$|meter|iban|bvn|^nin$|id[-_]?number|party[-_]?id|payer|payee|^to$|destination"
    r"|smartcard|subscriber",
    re.IGNORECASE)
NAME_KEY = re.compile(
    r"(customer|account|first|last|full|holder|beneficiary|sender|payer)[-_]?name|^name$|email|address",
    re.IGNORECASE)
NAME_KEY_SAFE = re.compile(r"product|service|operator|biller|bank|network|plan|variation|package", re.IGNORECASE)
_LONG_DIGITS = re.compile(r"\+?\d{8,}")
_PLAIN, _SECRET, _NUMBER, _NAME = range(4)


def mask_number(value: Any) -> str:
    """``+2348031234567`` -> ``**********4567``: enough to recognise the line in a dispute, no more."""
    text = str(value)
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]


def _mask_name(value: Any) -> str:
    text = str(value)
    if "@" in text:
        local, _, domain = text.partition("@")
        return (local[:1] + "***@" + domain) if local else "***"
    return (text[:1] + "***") if text else ""


@lru_cache(maxsize=4096)
def _key_kind(key: str) -> int:
    """What a key's name says its value is (the same few keys come back in every exchange of a provider)."""
    if SECRET_KEY.search(key):
        return _SECRET
    if NUMBER_KEY.search(key):
        return _NUMBER
    if NAME_KEY.search(key) and not NAME_KEY_SAFE.search(key):
        return _NAME
    return _PLAIN


def _redact_value(key: str, value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact_value(key, item) for item in value]
    kind = _key_kind(key)
    if kind == _PLAIN or value is None or isinstance(value, bool) or value == "":  # kept as it is
        return value
    if kind == _SECRET:
        return REDACTED
    if kind == _NUMBER:
        return mask_number(value)
    if kind == _NAME:
        return _mask_name(value)
    return value


def _mask_numbers(text: str, tails: list[str]) -> str:
    """``re.sub("|".join(r"\\+?\\d*" + re.escape(tail) for tail in tails), mask, text)`` without compiling that
    pattern: a match lies in one run of digits (``\\d`` is ``str.isdecimal``) with the plus sign before it,
    starts where the run (or what is left of it after the previous match) starts, and ends after the LAST place
    in the run where the first tail (in ``tails``' order) that occurs there at all occurs (``\\d*`` is greedy,
    alternatives are tried in order). Runs without a tail are never looked at."""
    pieces: list[str] = []
    done = 0
    while True:
        found = [at for tail in tails if (at := text.find(tail, done)) != -1]
        if not found:
            break
        start = end = min(found)  # in the first run that holds a tail: find that run's ends
        while start > done and text[start - 1].isdecimal():
            start -= 1
        digits_from = start
        if start > done and text[start - 1] == "+":
            start -= 1
        while end < len(text) and text[end].isdecimal():
            end += 1
        while True:  # the run's matches, one after the other
            for tail in tails:
                at = text.rfind(tail, digits_from, end)
                if at != -1:
                    break
            else:
                break
            stop = at + len(tail)
            pieces += (text[done:start], mask_number(text[start:stop]))
            done = start = digits_from = stop
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


class Redactor:
    """Built once per archived call with what the core knows is secret or personal for it."""

    def __init__(self, *, secrets: Iterable[str] = (), personal: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if isinstance(s, str) and len(s) >= 4}, key=len, reverse=True)
        tails, words = [], []
        for value in personal:
            digits = re.sub(r"\D", "", str(value or ""))
            if len(digits) >= 6:  # a phone/account number: match its last 9 digits in any national format
                tails.append(digits[-9:])
            elif value and len(str(value).strip()) >= 3:  # a name or an e-mail address: gone entirely
                words.append(str(value).strip())
        self._tails = tails
        self._words = words
        self._lower_words = [word.lower() for word in words] if all(word.isascii() for word in words) else None
        self._words_pattern: re.Pattern[str] | None = None

    def _has_words(self, text: str) -> bool:
        """Whether the names pattern may match ``text``: exactly, for ASCII names in ASCII text (case-insensitive
        ASCII is ``str.lower``); anything else is left to the pattern."""
        if not self._words:
            return False
        if self._lower_words is None or not text.isascii():
            return True
        lowered = text.lower()
        return any(word in lowered for word in self._lower_words)

    def text(self, text: str) -> str:
        """Value-based pass over any text."""
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        for tail in self._tails:
            if tail in text:  # a match holds its tail
                text = _mask_numbers(text, self._tails)
                break
        if self._words and self._has_words(text):
            if self._words_pattern is None:
                self._words_pattern = re.compile("|".join(re.escape(word) for word in self._words), re.IGNORECASE)
            text = self._words_pattern.sub("***", text)
        return text

    def headers(self, headers: dict[str, Any]) -> dict[str, str]:
        text = self.text
        redacted = {}
        for k, v in (headers or {}).items():
            name = str(k)
            redacted[name] = text(str(_redact_value(name, v)))
        return redacted

    def body(self, body: str) -> str:
        if not body:
            return ""
        stripped = body.lstrip()
        if stripped[:1] in "{[":
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
            if parsed is not None:
                return self.text(json.dumps(_redact_value("", parsed), ensure_ascii=False, default=str))
        if "=" in body and " " not in body.strip() and "\n" not in body.strip():
            try:
                pairs = parse_qsl(body, keep_blank_values=True, strict_parsing=True)
            except ValueError:
                pairs = []
            if pairs:
                return self.text(urlencode([(k, _redact_value(k, v)) for k, v in pairs]))
        return self.text(body)

    def url(self, url: str) -> str:
        parts = urlsplit(url)
        query = urlencode([(k, _redact_value(k, v)) for k, v in parse_qsl(parts.query, keep_blank_values=True)])
        path = _LONG_DIGITS.sub(lambda m: mask_number(m.group(0)), parts.path)
        netloc = parts.netloc.rsplit("@", 1)[-1]  # user:password@host
        return self.text(urlunsplit((parts.scheme, netloc, path, query, parts.fragment)))
