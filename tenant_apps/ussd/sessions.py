"""USSD session state and answers in Redis (the Django cache: every key carries the tenant's schema).

* ``state``: where a session is (step, what was chosen so far, a keyed digest and the length of the text already
  handled), for as long as the gateway keeps a session (``USSD['SESSION_TTL_SECONDS']`` from the first screen).
  Never a PIN or an SMS code: the handled text itself (which holds what was typed on a PIN or code screen) is
  never kept.
* ``answer``: the reply given to one (session, text), kept ``ANSWER_TTL_SECONDS``: the gateway repeating a
  request, or sending it late, gets that same reply and nothing runs again.
* ``twin lock``: while one request of a (session, text) is being answered, its twin waits for the answer
  instead of running beside it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache


def _conf() -> dict[str, Any]:
    return settings.USSD


def keyed_digest(value: str) -> str:
    """Keyed (HMAC with SECRET_KEY): a text may hold a PIN, which a plain hash of 4-6 digits would give away to
    anyone who can read Redis."""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()[:32]


def _key(kind: str, session_id: str, text: str | None = None, caller: str = "") -> str:
    """``caller`` in the answer and twin keys: the phone number and the dial (:func:`dial`), so a session id the
    gateway uses again later, for this phone or another, never gets the earlier screens."""
    ident = keyed_digest(session_id)
    if text is None:
        return f"ussd:{kind}:{ident}"
    return f"ussd:{kind}:{ident}:{keyed_digest(session_id + chr(0) + caller + chr(0) + text)}"


@dataclass
class SessionState:
    session_id: str
    user_id: int
    language: str
    deadline: float  # epoch seconds: the gateway ends the session by then
    step: str = "main"
    # The inputs already handled, as a keyed digest and a length (never the text: it holds a PIN typed on a PIN
    # screen, a reset code): the next request's text must extend it by one input.
    handled: str = ""
    handled_chars: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    # This dial of the session id (:func:`dial`): the money step's idempotency key carries it, so a session id
    # the gateway uses again later is a new session, not a replay of the earlier payment.
    started: str = ""

    @classmethod
    def new(cls, *, session_id: str, user_id: int, language: str, started: str = "") -> SessionState:
        return cls(session_id=session_id, user_id=user_id, language=language,
                   deadline=time.time() + _conf()["SESSION_TTL_SECONDS"], started=started or secrets.token_hex(8))


    def handle(self, text: str) -> None:
        """``text`` (the gateway's whole input so far) is handled: the next request must extend it."""
        self.handled, self.handled_chars = keyed_digest(f"text|{self.session_id}|{text}"), len(text)

    def new_input(self, text: str) -> str | None:
        """The one input ``text`` adds to the handled text, or None when it does not extend it."""
        chars = self.handled_chars
        if chars == 0:
            return text
        if len(text) <= chars or text[chars] != "*":
            return None
        if not hmac.compare_digest(keyed_digest(f"text|{self.session_id}|{text[:chars]}"), self.handled):
            return None
        return text[chars + 1:]


def load(session_id: str) -> SessionState | None:
    raw = cache.get(_key("state", session_id))
    if not isinstance(raw, dict):
        return None
    try:
        state = SessionState(**raw)
    except TypeError:
        return None
    return state if state.deadline > time.time() else None


def save(state: SessionState) -> None:
    remaining = int(state.deadline - time.time()) + 1
    if remaining > 0:
        cache.set(_key("state", state.session_id), asdict(state), timeout=remaining)


def drop(session_id: str) -> None:
    cache.delete(_key("state", session_id))


def mark_seen(session_id: str) -> None:
    """This session id had a first screen (kept as long as its answers): a later request of it without state is
    an expired session, not a dial with inputs (``*384*123*1#``)."""
    cache.set(_key("seen", session_id), 1, timeout=_conf()["ANSWER_TTL_SECONDS"] + _conf()["SESSION_TTL_SECONDS"])


def seen(session_id: str) -> bool:
    return cache.get(_key("seen", session_id)) is not None


def dial(session_id: str, *, new: bool) -> str:
    """Which dial of ``session_id`` this is (random; kept as long as its answers): ``new`` on a first screen with
    no state, which makes the answers kept for an earlier use of the same id unreachable."""
    key = _key("dial", session_id)
    if not new:
        found = cache.get(key)
        if isinstance(found, str):
            return found
    value = secrets.token_hex(8)
    cache.set(key, value, timeout=_conf()["ANSWER_TTL_SECONDS"] + _conf()["SESSION_TTL_SECONDS"])
    return value


def answer_of(session_id: str, text: str, caller: str = "") -> tuple[str, bool] | None:
    raw = cache.get(_key("answer", session_id, text, caller))
    return (raw[0], bool(raw[1])) if isinstance(raw, list | tuple) and len(raw) == 2 else None


def remember_answer(session_id: str, text: str, reply_text: str, final: bool, caller: str = "") -> None:
    cache.set(_key("answer", session_id, text, caller), [reply_text, final], timeout=_conf()["ANSWER_TTL_SECONDS"])


def claim(session_id: str, text: str, caller: str = "") -> bool:
    """True for the first request of this (session, caller, text) still running; its twins get False."""
    return cache.add(_key("busy", session_id, text, caller), 1, timeout=int(_conf()["TWIN_WAIT_SECONDS"]) + 30)


def release(session_id: str, text: str, caller: str = "") -> None:
    cache.delete(_key("busy", session_id, text, caller))


def wait_for_answer(session_id: str, text: str, caller: str = "") -> tuple[str, bool] | None:
    """A twin's wait for the first request's answer (polled; bounded below the gateway's timeout)."""
    deadline = time.monotonic() + float(_conf()["TWIN_WAIT_SECONDS"])
    while time.monotonic() < deadline:
        found = answer_of(session_id, text, caller)
        if found is not None:
            return found
        time.sleep(0.05)
    return None
