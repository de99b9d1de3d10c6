"""A gateway's retransmission that reaches us just after the first copy finished: it looked for the stored
answer before the first copy stored it, and claims the text after the first copy released it. It must get the
first copy's answer, not run the menu again on a session already past that text (which ended the session:
"Your session has expired", seen in CI as a lost session in test_ussd_channel's duplicate mode)."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

import pytest
from django_tenants.utils import schema_context

from tests.support.twins import first_lookup_misses
from tests.ussd.helpers import CODES, customer, ng_phone

pytestmark = pytest.mark.django_db


def test_a_twin_that_claims_after_the_first_copy_finished_gets_its_answer(host_client, monkeypatch):
    from tenant_apps.ussd import services, sessions

    with schema_context("ng"):
        token = services.channel_rotate_token(actor=None)
        services.channel_update(actor=None, enabled=True, service_code=CODES["ng"])
    user = customer(phone=ng_phone(), balance_minor=100_000)
    client = host_client("ng.localhost")
    session_id = f"ATUid_{uuid.uuid4().hex}"

    def screen(text: str) -> str:
        form = urlencode({"sessionId": session_id, "serviceCode": CODES["ng"], "phoneNumber": user.phone,
                          "text": text})
        answer = client.post(f"/ussd/africastalking/{token}", form,
                             content_type="application/x-www-form-urlencoded")
        assert answer.status_code == 200
        return answer.content.decode()

    assert screen("").startswith("CON ")
    first = screen("2")  # buy airtime: who for?
    assert first.startswith("CON ") and "1. My number" in first, first

    looked = sessions.answer_of
    # the twin's first look ran before the first copy stored its answer
    missed = first_lookup_misses(monkeypatch, sessions, "answer_of")
    assert screen("2") == first  # the same answer, not "Your session has expired"
    assert [args[1] for args, _kwargs in missed] == ["2"]
    monkeypatch.setattr(sessions, "answer_of", looked)
    with schema_context("ng"):
        state = sessions.load(session_id)
    assert state is not None and state.new_input("2*1") == "1" and state.step == "airtime_who"  # "2" handled
    assert screen("2*2") == "CON Enter the phone number\n0. Back"  # the session goes on
