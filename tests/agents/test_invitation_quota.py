"""Agent invitations: bounded per inviter and day, and they tell the inviter nothing about the contact.

Before, ``POST /api/agents/invitations`` sent an SMS (or an email) to whatever contact an agent typed, without any
limit: SMS pumping at the tenant's cost, from any agent, to any number of any country. And a contact that already
had an account was answered 409 ``already_registered``: any agent could ask, number after number, who is a customer
here. Now an inviter sends at most ``AGENT_INVITATIONS_PER_DAY`` invitations in any 24 hours (counted under their row
lock: parallel requests cannot pass it together; past it 429 ``too_many_invitations``, nothing written or sent); the
phone is the tenant country's; and a registered contact is answered exactly like a new one while the contact gets
a notice (you already have an account: sign in, ask support to sell) instead of a link that could only fail.
"""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation
from django_tenants.utils import schema_context

from tenant_apps.agents import services
from tenant_apps.agents.models import Invitation
from tenant_apps.agents.services import add_agent, invite
from tenant_apps.notifications.models import SmsMessage
from tests.accounts.helpers import call, login, make_user
from tests.support.concurrency import run_concurrently

HOST = "quickvend.localhost"


def _phone() -> str:
    return "+234803" + f"{uuid.uuid4().int % 10**7:07d}"


def _agent():
    user = make_user("quickvend", email=f"inviter-{uuid.uuid4().hex[:8]}@qv.test", role="agent", phone=_phone())
    with schema_context("quickvend"):
        add_agent(user=user, parent=None)
    return user


def _invite(token: str, capture, **contact):
    with capture(execute=True):
        return call(Client(HTTP_HOST=HOST), "POST", "/api/agents/invitations", contact, token=token)


def _sms_to(phone: str) -> list[SmsMessage]:
    with schema_context("quickvend"):
        return list(SmsMessage.objects.filter(to=phone, purpose="agent_invitation"))


@pytest.mark.django_db
def test_invitations_are_bounded_per_inviter_and_day(settings, django_capture_on_commit_callbacks):
    settings.AGENT_INVITATIONS_PER_DAY = 3
    inviter = _agent()
    token = login(Client(HTTP_HOST=HOST), inviter.email)["access"]
    for _ in range(3):
        sent = _invite(token, django_capture_on_commit_callbacks, phone=_phone())
        assert sent.status_code == 201, sent.content
    target = _phone()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refused = call(Client(HTTP_HOST=HOST), "POST", "/api/agents/invitations", {"phone": target}, token=token)
    assert refused.status_code == 429, refused.content
    assert refused.json()["error"]["code"] == "too_many_invitations"
    assert callbacks == [] and _sms_to(target) == []
    with schema_context("quickvend"):
        assert Invitation.objects.filter(invited_by=inviter).count() == 3
    # another inviter is not held back by the first
    other = login(Client(HTTP_HOST=HOST), _agent().email)["access"]
    assert _invite(other, django_capture_on_commit_callbacks, phone=target).status_code == 201


@pytest.mark.django_db
def test_an_invitation_older_than_a_day_no_longer_counts(settings):
    from datetime import timedelta

    from django.utils import timezone

    settings.AGENT_INVITATIONS_PER_DAY = 1
    inviter = _agent()
    with schema_context("quickvend"):
        invite(inviter=inviter, phone=_phone(), notify=False)
        with pytest.raises(services.TooManyInvitations):
            invite(inviter=inviter, phone=_phone(), notify=False)
        Invitation.objects.filter(invited_by=inviter).update(created_at=timezone.now() - timedelta(days=1, minutes=1))
        invite(inviter=inviter, phone=_phone(), notify=False)


def test_parallel_invitations_cannot_pass_the_quota_together(live_db, settings):
    settings.AGENT_INVITATIONS_PER_DAY = 3
    inviter = _agent()

    def one(index: int):
        invitation, _ = invite(inviter=inviter, phone=_phone(), notify=False)
        return invitation.pk

    results = run_concurrently(8, one, schema="quickvend")
    refused = [result for result in results if isinstance(result, services.TooManyInvitations)]
    assert len(refused) == 5 and len(results) - len(refused) == 3, results
    with schema_context("quickvend"):
        assert Invitation.objects.filter(invited_by=inviter).count() == 3


@pytest.mark.django_db
def test_a_registered_contact_is_answered_like_a_new_one_and_gets_a_notice(django_capture_on_commit_callbacks):
    inviter = _agent()
    token = login(Client(HTTP_HOST=HOST), inviter.email)["access"]
    customer_phone = _phone()
    customer = make_user("quickvend", email=f"cust-{uuid.uuid4().hex[:8]}@qv.test", phone=customer_phone)
    local = "0" + customer_phone[4:]  # the same number as a person types it

    mail.outbox.clear()
    answers = {
        "registered phone": _invite(token, django_capture_on_commit_callbacks, phone=local),
        "registered email": _invite(token, django_capture_on_commit_callbacks, email=customer.email.upper()),
        "new phone": _invite(token, django_capture_on_commit_callbacks, phone=_phone()),
    }
    shapes = {name: (answer.status_code, tuple(sorted(answer.json()))) for name, answer in answers.items()}
    assert len(set(shapes.values())) == 1 and shapes["new phone"][0] == 201, shapes
    assert answers["registered phone"].json()["phone"] == customer_phone  # normalised, like any other

    # the customer hears why there is no link; nothing they could accept was sent
    notices = _sms_to(customer_phone)
    assert len(notices) == 1 and "already have an account" in notices[0].body_redacted
    assert "token=" not in notices[0].body_redacted and "redacted" not in notices[0].body_redacted
    to_customer = [message for message in mail.outbox if customer.email in message.to]
    assert len(to_customer) == 1 and "already has an account" in str(to_customer[0].body)
    assert "token=" not in str(to_customer[0].body)
    # the invitations count in the day's quota like any other
    with schema_context("quickvend"):
        assert Invitation.objects.filter(invited_by=inviter).count() == 3


@pytest.mark.django_db
def test_a_number_of_another_country_is_refused_and_nothing_is_sent(django_capture_on_commit_callbacks):
    token = login(Client(HTTP_HOST=HOST), _agent().email)["access"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refused = call(Client(HTTP_HOST=HOST), "POST", "/api/agents/invitations", {"phone": "+882123456789"},
                       token=token)
    assert refused.status_code == 400 and "phone" in refused.json()["error"]["fields"], refused.content
    assert callbacks == []


@pytest.mark.parametrize(("language", "text"), [
    ("fr", "Trop d'invitations envoyées aujourd'hui. Réessayez demain."),
    ("pt", "Demasiados convites enviados hoje. Tente novamente amanhã.")])
def test_the_refusal_reads_in_french_and_portuguese(language, text):
    with translation.override(language):
        assert str(services.TooManyInvitations().message) == text
