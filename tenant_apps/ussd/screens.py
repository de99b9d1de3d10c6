"""The size of a USSD screen: the gateway shows ``USSD['SCREEN_CHARS']`` characters as sent (GSM-7) and cuts the
rest, choices included; the menus (``menu``) build every screen to fit instead."""

from __future__ import annotations

from django.conf import settings

from provider_plugins.interfaces.ussd import gsm7


def screen_chars() -> int:
    return int(settings.USSD["SCREEN_CHARS"])


def width(text: str) -> int:
    return len(gsm7(text))


def shorten(text: str, chars: int) -> str:
    """``text`` in at most ``chars`` characters as sent (GSM-7), ending "..." when cut."""
    if width(text) <= chars:
        return text
    while text and width(text) > max(chars - 3, 0):
        text = text[:-1]
    return text.rstrip() + "..." if chars >= 3 else ""


def fit(head: str, lines: list[str]) -> str:
    """A screen whose ``lines`` (choices, the PIN question) are all shown: ``head`` (a title, a summary) is
    shortened, or left out, when the whole would be longer than the screen."""
    body = "\n".join(lines)
    room = screen_chars() - width(body) - 1
    if width(head) > room:
        head = shorten(head, room) if room >= 8 else ""
    return "\n".join([head, body]) if head and body else head or body
