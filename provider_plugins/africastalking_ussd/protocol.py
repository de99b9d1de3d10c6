"""Africa's Talking USSD callback protocol, as the gateway speaks it (our side of it).

Public documentation: https://developers.africastalking.com/docs/ussd/overview (handling sessions) and
https://developers.africastalking.com/docs/ussd/notifications (end-of-session notifications);
timeouts: https://help.africastalking.com/en/articles/1284071 (a session lasts 180 s at most, 60 s for the
customer to answer, 10-15 s for the application to answer).

* On every screen the gateway POSTs ``application/x-www-form-urlencoded`` fields ``sessionId``,
  ``serviceCode``, ``phoneNumber``, ``networkCode`` and ``text``: everything the customer typed since
  dialling, ``*``-separated (``""`` on the first screen, ``"1*2*08031234567"`` later).
* The answer is ``text/plain`` starting with ``CON `` (show this and wait for input) or ``END `` (show
  this and close). An HTTP error or an answer starting otherwise ends the session on the gateway's side.
* When the session is over (completed, abandoned by the customer, timed out, failed) the gateway POSTs an
  end-of-session notification to the channel's notification URL: ``date``, ``sessionId``,
  ``serviceCode``, ``networkCode``, ``phoneNumber``, ``status`` (``Success`` | ``Incomplete`` |
  ``Failed``), ``cost``, ``durationInMillis``, ``hopsCount``, ``input``, ``lastAppResponse``,
  ``errorMessage``.

The gateway does not sign its requests: the channel is authenticated by a secret in the callback URL and,
optionally, by the gateway's addresses (the core's choice, docs/ussd.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from provider_plugins.interfaces.ussd import UssdReply, UssdRequest, UssdRequestInvalid, UssdSessionEnd, gsm7

SESSION_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
SERVICE_CODE = re.compile(r"^[*#0-9]{2,40}$")
PHONE = re.compile(r"^\+?[0-9]{6,16}$")
NETWORK = re.compile(r"^[0-9]{0,10}$")
TEXT = re.compile(r"^[0-9*#+]*$")
STATUSES = frozenset({"Success", "Incomplete", "Failed"})
CONTINUE, END = "CON ", "END "


def _field(form: Mapping[str, str], name: str, pattern: re.Pattern, *, required: bool = True,
           max_chars: int = 100) -> str:
    value = form.get(name)
    if value is None or value == "":
        if required:
            raise UssdRequestInvalid(name, "missing")
        return ""
    if not isinstance(value, str) or len(value) > max_chars:
        raise UssdRequestInvalid(name, "too long")
    if not pattern.match(value):
        raise UssdRequestInvalid(name, "not allowed")
    return value


def _int(value: object) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


class AfricasTalkingUssd:
    """Stateless translator between the gateway's fields and the core's USSD dataclasses."""

    def parse_request(self, form: Mapping[str, str], *, max_text_chars: int, max_inputs: int) -> UssdRequest:
        session_id = _field(form, "sessionId", SESSION_ID)
        service_code = _field(form, "serviceCode", SERVICE_CODE, max_chars=40)
        phone = _field(form, "phoneNumber", PHONE, max_chars=17)
        network = _field(form, "networkCode", NETWORK, required=False, max_chars=10)
        text = _field(form, "text", TEXT, required=False, max_chars=max_text_chars)
        if text and text.count("*") + 1 > max_inputs:
            raise UssdRequestInvalid("text", "too many inputs")
        if not phone.startswith("+"):
            phone = "+" + phone
        return UssdRequest(session_id=session_id, service_code=service_code, phone_number=phone, text=text,
                           network_code=network)

    def render(self, reply: UssdReply, *, max_chars: int) -> tuple[int, str, str]:
        body = gsm7(reply.text).strip()
        if len(body) > max_chars:
            body = body[: max_chars - 3].rstrip() + "..."
        return 200, (END if reply.final else CONTINUE) + body, "text/plain; charset=utf-8"

    def parse_session_end(self, form: Mapping[str, str]) -> UssdSessionEnd:
        session_id = _field(form, "sessionId", SESSION_ID)
        status = form.get("status") or ""
        if status not in STATUSES:
            raise UssdRequestInvalid("status", "not allowed")
        return UssdSessionEnd(
            session_id=session_id, status=status,
            service_code=_field(form, "serviceCode", SERVICE_CODE, required=False, max_chars=40),
            phone_number=_field(form, "phoneNumber", PHONE, required=False, max_chars=17),
            network_code=_field(form, "networkCode", NETWORK, required=False, max_chars=10),
            hops=_int(form.get("hopsCount")), duration_ms=_int(form.get("durationInMillis")),
            error_message=str(form.get("errorMessage") or "")[:200])
