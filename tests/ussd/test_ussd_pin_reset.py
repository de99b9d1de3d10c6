"""'Forgot my PIN' over USSD: a code sent by SMS to the verified phone (the web's service, its resend cooldown and
its wrong-code counter), then a new PIN twice. The code and the PINs are never in the session, a reply or a log.
In-process menus (tests/ussd/test_ussd_menus.py's ``Session``) with the SMS simulator's outbox."""

from __future__ import annotations

import pickle
import re

import pytest
from django.core.cache import cache
from django_tenants.utils import schema_context

from tests.ussd.helpers import PIN, customer, every_log_line, ng_phone, redis_holding
from tests.ussd.test_ussd_menus import Session

pytestmark = pytest.mark.django_db
NEW_PIN = "739251"


@pytest.fixture(autouse=True)
def _sms(sms_to_simulator):
    yield


def _code(sms, user, *, count: int = 1) -> str:
    found = sms.messages(to=user.phone)
    assert len(found) == count, found
    match = re.search(r"\b(\d{6})\b", found[0]["sms"])
    assert match, found[0]
    return match.group(1)


def _state_blob(session: Session) -> bytes:
    from tenant_apps.ussd import sessions

    with schema_context("ng"):
        return pickle.dumps(cache.get(sessions._key("state", session.id)))


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_forgot_pin_resets_it_with_the_sms_code_and_keeps_neither_anywhere(sms):
    from tenant_apps.accounts.models import PhoneOtp
    from tenant_apps.audit.models import AuditEvent
    from tenant_apps.pins.services import pin_check

    user = customer(phone=ng_phone(), balance_minor=100_000)
    session = Session(user)
    with every_log_line() as lines:
        assert "7. Change my PIN" in session.send()
        assert session.send("7") == "CON Change my PIN\nEnter your current PIN\n9. Forgot my PIN\n0. Cancel"
        assert session.send("9") == "CON Forgot my PIN\nEnter the code we sent you by SMS\n0. Cancel"
        code = _code(sms, user)
        assert session.send("12") == ("CON Enter the 6-digit code.\nForgot my PIN\nEnter the code we sent you by "
                                      "SMS\n0. Cancel")  # a slip: not counted
        assert session.send(_wrong(code)) == ("CON The code is not valid.\nForgot my PIN\nEnter the code we sent "
                                              "you by SMS\n0. Cancel")
        with schema_context("ng"):
            assert PhoneOtp.objects.get(user=user, purpose="reset_pin").attempts == 1  # counted as on the web
        assert session.send(code) == "CON Choose a new PIN of 4 to 6 digits (not 0000 or 1234)"
        assert code.encode() not in _state_blob(session) and redis_holding(code) == []
        assert session.send(NEW_PIN) == "CON Enter the same PIN again"
        assert NEW_PIN.encode() not in _state_blob(session) and code.encode() not in _state_blob(session)
        done = session.send(NEW_PIN)
    assert done == "END Your new PIN is saved. Use it from now on. Never share it."
    assert not [line for line in lines if code in line or NEW_PIN in line]
    assert redis_holding(code) == [] and redis_holding(NEW_PIN) == []
    with schema_context("ng"):
        assert pin_check(user=user, pin=NEW_PIN).ok and not pin_check(user=user, pin=PIN).ok
        assert AuditEvent.objects.filter(action="pin_reset", subject_id=str(user.public_id)).count() == 1
        assert code not in str(list(AuditEvent.objects.filter(actor_id=user.pk).values("details")))
    # The code is used up: a second reset session with it is refused.
    again = Session(user)
    for value in ("", "7", "9"):
        again.send(value or None)
    assert again.send(code).startswith("CON The code is not valid.")


def test_a_locked_pin_goes_straight_to_the_reset_and_wrong_codes_run_out(sms, settings):
    from tenant_apps.pins.services import pin_check

    settings.PHONE_OTP = {**settings.PHONE_OTP, "RESEND_COOLDOWN_SECONDS": 0}
    user = customer(phone=ng_phone(), balance_minor=100_000)
    with schema_context("ng"):
        for wrong in ("9153", "8642", "7315"):
            pin_check(user=user, pin=wrong)
    assert Session(user).send("2") == "END Your PIN is locked. To reset it, dial again and choose 7."
    session = Session(user)
    session.send()
    assert session.send("7") == "CON Forgot my PIN\nEnter the code we sent you by SMS\n0. Cancel"
    code = _code(sms, user)
    for _ in range(4):
        assert session.send(_wrong(code)).startswith("CON The code is not valid.")
    assert session.send(_wrong(code)) == "END This code no longer works. To get a new one, dial again and choose 7."
    # Dialling again sends a new code (the old one stops working), which unlocks the PIN.
    retry = Session(user)
    retry.send()
    retry.send("7")
    new_code = _code(sms, user, count=2)
    assert new_code != code and retry.send(code).startswith("CON The code is not valid.")
    for value in (new_code, NEW_PIN):
        retry.send(value)
    assert retry.send(NEW_PIN).startswith("END Your new PIN is saved.")
    with schema_context("ng"):
        assert pin_check(user=user, pin=NEW_PIN).ok


def test_the_resend_cooldown_holds_over_ussd_and_a_stale_reset_stores_nothing(sms):
    from tenant_apps.pins.services import pin_change, pin_check

    user = customer(phone=ng_phone(), balance_minor=100_000)
    first, second = Session(user), Session(user)
    for session in (first, second):
        session.send()
        session.send("7")
        assert session.send("9") == "CON Forgot my PIN\nEnter the code we sent you by SMS\n0. Cancel"
    code = _code(sms, user)  # one SMS: the second dial within the cooldown sent none (the first code still works)
    for value in (code, NEW_PIN):
        second.send(value)
    with schema_context("ng"):
        pin_change(user=user, current_pin=PIN, new_pin="6193")  # meanwhile, on the web
    assert second.send(NEW_PIN) == "END Your PIN was not changed: the session took too long. Dial again."
    with schema_context("ng"):
        assert pin_check(user=user, pin="6193").ok
    assert first.send("0") == "END Cancelled. Nothing was changed."


def test_a_reset_ticket_is_good_once_and_only_for_its_user(sms):
    from tenant_apps.pins.errors import PinChangeExpired
    from tenant_apps.pins.services import pin_reset_complete, pin_reset_send, pin_reset_verify

    user, other = customer(phone=ng_phone()), customer(phone=ng_phone())
    with schema_context("ng"):
        assert pin_reset_send(user=user) == "sent"
        assert pin_reset_send(user=user) == "cooling_down"
        ticket = pin_reset_verify(user=user, code=_code(sms, user))
        with pytest.raises(PinChangeExpired):
            pin_reset_complete(user=other, ticket=ticket, new_pin=NEW_PIN)
        pin_reset_complete(user=user, ticket=ticket, new_pin=NEW_PIN)
        with pytest.raises(PinChangeExpired):
            pin_reset_complete(user=user, ticket=ticket, new_pin="6193")
