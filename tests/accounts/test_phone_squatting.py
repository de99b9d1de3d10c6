"""Nobody can squat someone else's phone number: an unverified registration holds its number for
``PHONE_OTP['UNVERIFIED_HOLD_SECONDS']`` only, and money sent to a number goes only to an account that verified it.

The attack: register the victim's number (no code needed to register), then wait. Before, the victim could never
register (``duplicate_phone``), a login by code for their own number logged them into the squatter's account (whose
password the squatter knows), and P2P transfers and agents' cash-ins to their number landed in that account."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import requests
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.ledger.services import fund_wallet, wallet_for
from tests.accounts.helpers import NG_PHONE, NG_PHONE_E164, PASSWORD, call, outbox_code
from tests.cash.helpers import new_agent
from tests.cash.helpers import post as cash_post
from tests.wallet.helpers import assert_books_balance, balance_of, client_for, new_customer, post

pytestmark = pytest.mark.django_db


def _register(client, email: str):
    return call(client, "POST", "/api/auth/register", {"email": email, "phone": NG_PHONE, "password": PASSWORD})


def _age(email: str, minutes: int) -> None:
    from tenant_apps.accounts.models import User

    with schema_context("ng"):
        User.objects.filter(email=email).update(date_joined=timezone.now() - timedelta(minutes=minutes))


def _texts(sim_url: str) -> int:
    return len(requests.get(f"{sim_url}/outbox.json", params={"to": NG_PHONE_E164}, timeout=5).json()["messages"])


def test_an_unverified_number_is_held_for_its_hold_then_taken_by_the_next_registration(host_client, sms_simulator):
    from tenant_apps.accounts.models import User
    from tenant_apps.audit.models import AuditEvent

    client = host_client("ng.localhost")
    assert _register(client, "squatter@example.com").status_code == 201
    squatters_code = outbox_code(sms_simulator.url, NG_PHONE_E164)
    refused = _register(client, "owner@example.com")  # within the hold: the registration may still be genuine
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "duplicate_phone")

    _age("squatter@example.com", 31)  # the hold (30 min) is over: the number no longer reaches that account
    texts = _texts(sms_simulator.url)
    assert call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE}).status_code in (200, 202)
    assert _texts(sms_simulator.url) == texts  # no code for a stale claim (and the answer reveals nothing)
    late = call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": squatters_code})
    assert late.status_code == 400  # its code no longer logs anyone in

    taken = _register(client, "owner@example.com")
    assert taken.status_code == 201, taken.content
    with schema_context("ng"):
        squatter, owner = User.objects.get(email="squatter@example.com"), User.objects.get(email="owner@example.com")
        assert squatter.phone is None and squatter.phone_verified_at is None and owner.phone == NG_PHONE_E164
        event = AuditEvent.objects.get(action="user_registered", subject_id=str(owner.public_id))
        assert event.details["phone_taken_from_unverified"] == str(squatter.public_id)
    code = outbox_code(sms_simulator.url, NG_PHONE_E164)
    verified = call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": code})
    assert verified.status_code == 200 and verified.json()["user"]["email"] == "owner@example.com"


def test_a_verified_number_is_never_taken(host_client, sms_simulator):
    from tests.accounts.helpers import make_user

    make_user("ng", email="verified-owner@example.com", phone=NG_PHONE_E164)
    _age("verified-owner@example.com", 24 * 60)
    again = _register(host_client("ng.localhost"), "someone-else@example.com")
    assert (again.status_code, again.json()["error"]["code"]) == (400, "duplicate_phone")


def test_money_sent_to_a_number_only_reaches_an_account_that_verified_it(settings):
    settings.AGENT_CASH = {**settings.AGENT_CASH, "SMS_NOTIFICATIONS": False}
    squatter = new_customer("ng", verified=False)
    sender = new_customer("ng")
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=sender), amount=100_000, reference=f"t:{uuid.uuid4()}")
    p2p = post(client_for(sender), "/api/transfers", {"type": "p2p", "recipient": squatter.phone, "amount": "50"})
    assert (p2p.status_code, p2p.json()["error"]["code"]) == (404, "unknown_recipient")
    agent, _ = new_agent(float_minor=100_000)
    cash_in = cash_post(agent, "/api/cash/in", {"customer": squatter.phone, "amount": "50"})
    assert cash_in.status_code == 404 and cash_in.json()["error"]["code"] == "unknown_customer", cash_in.content
    assert balance_of(squatter) == 0 and balance_of(sender) == 100_000 and balance_of(agent) == 100_000
    assert_books_balance("ng")
