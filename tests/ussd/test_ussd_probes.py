"""USSD as an attacker drives it (in-process menu engine; the gateway's authentication is test_ussd_channel.py):

* another phone sending a live session's id, at its PIN step with the right text, gets "expired" and moves nothing
  (the state is the first caller's: ``state.user_id``);
* wrong PINs typed in separate sessions count on the account, not the session: the third locks the PIN and the
  right one is then refused too;
* amounts out of range (zero: back to the menu; beyond the balance, more digits than any amount: refused) move
  nothing.

Clean when written: kept as the record of what was tried.
"""

from __future__ import annotations

import pytest

from tests.ussd.helpers import PIN, customer, ng_phone
from tests.ussd.test_ussd_menus import Session, _wallet

pytestmark = pytest.mark.django_db


def _p2p_confirm(session: Session, receiver_phone: str, amount: str) -> str:
    for value in ("", "5", receiver_phone):
        session.send(value or None)
    return session.send(amount)


def test_another_phone_with_a_live_session_id_reaches_nothing():
    victim, receiver = customer(phone=ng_phone(), balance_minor=500_000), customer(phone=ng_phone())
    attacker = customer(phone=ng_phone(), balance_minor=0)
    session = Session(victim)
    assert "Enter your PIN" in _p2p_confirm(session, receiver.phone, "1000")
    hijack = Session(attacker)
    hijack.id, hijack.inputs = session.id, list(session.inputs)
    assert hijack.send(PIN) == "END Your session has expired. Dial again."
    assert (_wallet(victim), _wallet(receiver), _wallet(attacker)) == (500_000, 0, 0)


def test_wrong_pins_in_separate_sessions_lock_the_account():
    from tenant_apps.pins.models import TransactionPin

    sender, receiver = customer(phone=ng_phone(), balance_minor=500_000), customer(phone=ng_phone())
    answers = []
    for wrong in ("9153", "8642", "7315"):
        session = Session(sender)
        _p2p_confirm(session, receiver.phone, "1000")
        answers.append(session.send(wrong))
    assert answers[:2] == ["END Wrong PIN. 2 attempt(s) left.", "END Wrong PIN. 1 attempt(s) left."], answers
    assert answers[2].startswith("END Your PIN is locked")
    session = Session(sender)
    session.send()
    assert session.send("5").startswith("END Your PIN is locked")  # the right PIN is never even asked
    from django_tenants.utils import schema_context

    with schema_context("ng"):
        assert TransactionPin.objects.get(user=sender).locked_at is not None
    assert (_wallet(sender), _wallet(receiver)) == (500_000, 0)


@pytest.mark.parametrize("amount", ["0", "00", "999999999999999999", "99999999999999999999", "6000"])
def test_amounts_out_of_range_end_before_the_pin_and_move_nothing(amount):
    sender, receiver = customer(phone=ng_phone(), balance_minor=500_000), customer(phone=ng_phone())
    session = Session(sender)
    answer = _p2p_confirm(session, receiver.phone, amount)
    if amount in ("0", "00"):  # no amount is zero: 0 goes back (docs/ussd.md), to the main menu
        assert answer.startswith("CON ") and "5. Send money" in answer, answer
    else:
        if "Enter your PIN" in answer:  # a well-formed amount past the balance: the service refuses it at the PIN
            answer = session.send(PIN)
        assert answer.startswith("END ") and "Sent" not in answer, answer
    assert (_wallet(sender), _wallet(receiver)) == (500_000, 0)
