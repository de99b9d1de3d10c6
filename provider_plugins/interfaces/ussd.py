"""USSD channel: a gateway calls us on every screen of a session; we answer with the next screen.

Not a provider capability (nothing is bought from the gateway): a *channel* protocol. A plugin declares it
in ``Plugin.channels["ussd"]``; its class translates the gateway's request into :class:`UssdRequest`, our
:class:`UssdReply` into the gateway's answer, and its end-of-session notification into :class:`UssdSessionEnd`.
The core owns everything else (sessions, menus, money).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["UssdProtocol", "UssdReply", "UssdRequest", "UssdRequestInvalid", "UssdSessionEnd", "gsm7"]


class UssdRequestInvalid(ValueError):
    """A field the gateway sent is missing, too long or outside its alphabet (``field`` names it; the value
    is never repeated: it may be hostile)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


@dataclass(frozen=True)
class UssdRequest:
    session_id: str
    service_code: str
    phone_number: str  # E.164 with "+"
    text: str  # everything typed since the session started, "*"-separated; "" on the first screen
    network_code: str = ""

    @property
    def inputs(self) -> list[str]:
        return self.text.split("*") if self.text else []


@dataclass(frozen=True)
class UssdReply:
    text: str
    final: bool  # True: the session ends with this screen


@dataclass(frozen=True)
class UssdSessionEnd:
    """The gateway's notice that a session is over (completed, abandoned, timed out or failed)."""

    session_id: str
    status: str  # "Success" | "Incomplete" | "Failed"
    service_code: str = ""
    phone_number: str = ""
    network_code: str = ""
    hops: int | None = None
    duration_ms: int | None = None
    error_message: str = ""


class UssdProtocol(Protocol):
    def parse_request(self, form: Mapping[str, str], *, max_text_chars: int, max_inputs: int) -> UssdRequest:
        """The gateway's form fields, bounded; raises :class:`UssdRequestInvalid`."""
        ...

    def render(self, reply: UssdReply, *, max_chars: int) -> tuple[int, str, str]:
        """(HTTP status, body, content type) of our answer."""
        ...

    def parse_session_end(self, form: Mapping[str, str]) -> UssdSessionEnd:
        ...


# GSM 03.38 basic character set: what every handset shows; anything else is simplified before sending.
_GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
            "¿abcdefghijklmnopqrstuvwxyzäöñüà")
_REPLACEMENTS = {"’": "'", "‘": "'", "“": '"', "”": '"', "«": '"', "»": '"', "–": "-", "—": "-", "…": "...",
                 "\u00a0": " ", "\u202f": " ", "ç": "c", "œ": "oe", "Œ": "OE"}


def gsm7(text: str) -> str:
    """``text`` in the GSM 7-bit basic alphabet: accents it lacks dropped (ê -> e, ã -> a), the rest replaced."""
    import unicodedata

    out = []
    for char in text:
        if char in _GSM7:
            out.append(char)
        elif char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        else:
            base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
            out.append(base if base and all(c in _GSM7 for c in base) else "?")
    return "".join(out)
