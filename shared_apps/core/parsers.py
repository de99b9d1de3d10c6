"""The API's one JSON parser: numbers never become floats, nesting is bounded, errors say nothing internal.

``DEFAULT_PARSER_CLASSES`` is this parser alone, so an endpoint takes JSON only unless
it declares more (KYC and reseller applications add multipart for their documents); any
other media type is 415 ``unsupported_media_type``. The request guard
(``request_guard.RequestGuardMiddleware``) has already bounded the body's size and
nesting before a view runs; this parser keeps the same rules for anything that reaches
it another way.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding  # type: ignore[attr-defined]  # DRF has it; stubs omit

from provider_plugins.interfaces.wire import json_loads


class StrictJSONParser(JSONParser):
    """``application/json``: fractions and exponents as ``Decimal`` (the money rule then judges their text),
    NaN/Infinity refused, nesting bounded, the message generic (never the parser's exception text)."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return json_loads(raw.decode(get_encoding(parser_context or {})))
        except (ValueError, LookupError):  # bad JSON or bytes (UnicodeDecodeError), NaN, too deep; unknown charset
            raise ParseError(_("The body is not valid JSON."), code="malformed_request") from None
