"""An email names a payee only once its owner proved it (tenant_apps.accounts.email_proof).

Before the fix anyone could register any address (nothing checked it) and received every P2P transfer sent to it:
``ada.obi@bank.example`` registered by a squatter with their own phone got the NGN 250 meant for Ada. Phone
numbers already worked this way (an unverified number names nobody, accounts.selectors.users_paid_by_phone)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context
from rest_framework.test import APIClient

from tenant_apps.accounts.models import User
from tests.support.unchanged import nothing_changes
from tests.wallet.helpers import balance_of, client_for, new_customer, post

pytestmark = pytest.mark.django_db


def funded_sender():
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    sender = new_customer()
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=sender), amount=1_000_000, reference=f"test-fund:{uuid.uuid4()}")
    return sender


def squatter_of(email: str) -> User:
    """An account registered over the API with someone else's address and the squatter's own (verified) phone."""
    phone = "+234803" + str(uuid.uuid4().int)[:7]
    answer = APIClient(HTTP_HOST="ng.localhost").post(
        "/api/auth/register", json.dumps({"email": email, "phone": phone, "password": "Squat-the-mail-2026!"}),
        content_type="application/json")
    assert answer.status_code == 201, answer.content
    with schema_context("ng"):
        User.objects.filter(email=email).update(phone_verified_at=timezone.now())
        return User.objects.get(email=email)


def mailed_token(to: str) -> str:
    [message] = [m for m in mail.outbox if to in m.to]
    match = re.search(r"^\s*([A-Za-z0-9_\-:.]{40,})\s*$", str(message.body), re.MULTILINE)
    assert match, message.body
    return match.group(1)


def prove(user, token: str):
    return post(client_for(user), "/api/auth/email/verify", {"token": token}, key=None)


def test_an_address_somebody_merely_registered_is_paid_nothing(simulated_providers):
    email = f"ada.obi.{uuid.uuid4().hex[:6]}@bank.example"
    squatter, sender = squatter_of(email), funded_sender()
    with nothing_changes("ng"):
        answer = post(client_for(sender), "/api/transfers", {"type": "p2p", "recipient": email, "amount": "250.00"})
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "unknown_recipient", answer.content
    assert balance_of(squatter) == 0 and balance_of(sender) == 1_000_000
    assert client_for(squatter).get("/api/auth/me").json()["email_verified"] is False


def test_the_owner_proves_the_address_with_the_mailed_token_and_is_paid_by_email(simulated_providers):
    email = f"bola.{uuid.uuid4().hex[:6]}@mail.example"
    owner, other, sender = squatter_of(email), new_customer(), funded_sender()
    sent = post(client_for(owner), "/api/auth/email/verify", {}, key=None)
    assert sent.status_code == 202, sent.content
    token = mailed_token(email)
    again = post(client_for(owner), "/api/auth/email/verify", {}, key=None)
    assert again.status_code == 202 and len([m for m in mail.outbox if email in m.to]) == 1  # cooling down
    for wrong in (token[:-2] + "xx", "garbage"):
        refused = prove(owner, wrong)
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_email_token")
    someone_elses = prove(other, token)  # the token is the owner's only
    assert (someone_elses.status_code, someone_elses.json()["error"]["code"]) == (400, "invalid_email_token")
    with schema_context("ng"):
        assert not User.objects.filter(pk=owner.pk, email_verified_at__isnull=False).exists()
    proved = prove(owner, token)
    assert proved.status_code == 200 and proved.json()["email_verified"] is True, proved.content
    paid = post(client_for(sender), "/api/transfers", {"type": "p2p", "recipient": email.upper(), "amount": "250.00"})
    assert paid.status_code == 201, paid.content
    assert balance_of(owner) == 25_000


def test_an_expired_token_proves_nothing(simulated_providers, monkeypatch):
    from tenant_apps.accounts import email_proof

    owner = squatter_of(f"late.{uuid.uuid4().hex[:6]}@mail.example")
    with schema_context("ng"):
        token = email_proof.email_proof_token(user=owner)
    monkeypatch.setattr(email_proof, "TOKEN_TTL", timedelta(seconds=-1))
    refused = prove(owner, token)
    assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_email_token")
    with schema_context("ng"):
        owner.refresh_from_db()
    assert owner.email_verified_at is None


def test_nobody_proves_an_address_by_writing_it_on_their_profile(simulated_providers):
    """Mass assignment: the profile takes the language only; the proof, the address and the role are read-only."""
    squatter = squatter_of(f"ceo.{uuid.uuid4().hex[:6]}@company.example")
    answer = client_for(squatter).patch("/api/auth/me", json.dumps({
        "email_verified": True, "email_verified_at": "2026-01-01T00:00:00Z", "email": "other@company.example",
        "role": "operator_admin", "phone_verified": True, "preferred_language": "fr"}),
        content_type="application/json")
    assert answer.status_code == 200, answer.content
    with schema_context("ng"):
        squatter.refresh_from_db()
    assert (squatter.email_verified_at, squatter.role, squatter.preferred_language) == (None, "customer", "fr")
    assert squatter.email.startswith("ceo.")


def test_an_address_gets_a_bounded_number_of_proofs_a_day(simulated_providers, settings):
    """Anyone can register anyone's address: asking for proofs again and again never floods it."""
    settings.PHONE_OTP = {**settings.PHONE_OTP, "RESEND_COOLDOWN_SECONDS": 0}
    email = f"target.{uuid.uuid4().hex[:6]}@mail.example"
    squatter = squatter_of(email)
    answers = [post(client_for(squatter), "/api/auth/email/verify", {}, key=None).status_code for _ in range(25)]
    assert answers == [202] * 25
    assert len([m for m in mail.outbox if email in m.to]) == settings.PHONE_OTP["MAX_CODES_PER_DAY"]
