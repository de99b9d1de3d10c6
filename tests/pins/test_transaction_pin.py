"""The transaction PIN: rules, hashing, lockout counted in its own transaction, reset by SMS code, the tenant's
web/API threshold enforced on every money request (API header, portal form), the OpenAPI header, and the
customer's PIN confirming an agent's cash-in. In the test's transaction (rolled back); SMS through the simulator."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from django_tenants.utils import schema_context

from tests.cash.helpers import balance, client_for, error_code, last_code, new_agent, new_user, post

pytestmark = pytest.mark.django_db
PIN = "4071"


def pin_of(user):
    from tenant_apps.pins.models import TransactionPin

    with schema_context("ng"):
        return TransactionPin.objects.filter(user=user).first()


def with_pin(user, pin: str = PIN):
    from tenant_apps.pins.services import pin_set

    with schema_context("ng"):
        pin_set(user=user, pin=pin)
    return user


def funded(user, amount_minor: int):
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=user), amount=amount_minor, reference=f"pin-fund-{uuid.uuid4().hex}")
    return user


def test_pin_rules_and_storage(sms):
    from tenant_apps.audit.models import AuditEvent

    user = new_user()
    client = client_for(user)
    last4 = user.phone[-4:]
    for weak in ("0000", "1234", "9876", "7890", "121212", "123123", "2580", last4, "12a4", "123", "1234567",
                 "١٢٣٤"):
        answer = client.post("/api/pin", {"pin": weak}, format="json")
        assert (answer.status_code, error_code(answer)) == (400, "weak_pin"), (weak, answer.json())
    assert client.post("/api/pin", {"pin": PIN}, format="json").status_code == 201
    stored = pin_of(user)
    assert PIN not in stored.pin_hash and stored.pin_hash.count("$") >= 2  # Django's hasher format, salted
    assert client.post("/api/pin", {"pin": "5082"}, format="json").status_code == 409  # change or reset it instead
    status = client.get("/api/pin").json()
    assert status["is_set"] and not status["locked"] and status["attempts_left"] == 3
    assert client_for(new_user(verified=False)).post("/api/pin", {"pin": PIN}, format="json").status_code == 403
    with schema_context("ng"):
        assert PIN not in json.dumps(list(AuditEvent.objects.filter(action="pin_set").values("details")))


def test_wrong_pins_lock_and_only_an_sms_code_unlocks(sms):
    from tenant_apps.pins.services import pin_check

    user = with_pin(new_user())
    client = client_for(user)
    answers = [client.post("/api/pin/change", {"current_pin": wrong, "new_pin": "5082"}, format="json")
               for wrong in ("9153", "8642", "7315", PIN)]
    assert [a.status_code for a in answers] == [403] * 4
    assert [error_code(a) for a in answers] == ["invalid_transaction_pin", "invalid_transaction_pin",
                                                "transaction_pin_locked", "transaction_pin_locked"]
    assert answers[0].json()["error"]["fields"]["pin"] == ["2 attempt(s) left before your PIN is locked."]
    assert client.get("/api/pin").json()["locked"] is True
    with schema_context("ng"):
        assert not pin_check(user=user, pin=PIN).ok  # the right PIN too, once locked
    assert client.post("/api/pin/reset", {}, format="json").status_code == 202
    code = last_code(sms, user)
    # A reset code is no login code (and a login code would be no reset code): one purpose each.
    login = client_for(user).post("/api/auth/otp", {"phone": user.phone, "code": code}, format="json")
    assert login.status_code == 400 and error_code(login) == "invalid_otp"
    assert error_code(client.post("/api/pin/reset", {"code": code, "new_pin": "1111"}, format="json")) == "weak_pin"
    done = client.post("/api/pin/reset", {"code": code, "new_pin": "5082"}, format="json")
    assert done.status_code == 200 and done.json()["locked"] is False and done.json()["attempts_left"] == 3
    with schema_context("ng"):
        assert pin_check(user=user, pin="5082").ok and not pin_check(user=user, pin=PIN).ok
    assert client.post("/api/pin/reset", {"code": code, "new_pin": "6193"}, format="json").status_code == 400  # used


def test_the_tenant_threshold_guards_every_money_request(sms):
    from tenant_apps.wallet.models import Transfer

    admin = new_user("operator_admin")
    policy = client_for(admin).patch("/api/pin/policy", {"web_api_threshold": "50.00"}, format="json")
    assert policy.status_code == 200 and policy.json() == {"web_api_threshold": "50.00", "currency": "NGN"}
    assert client_for(admin).patch("/api/pin/policy", {"web_api_threshold": "1e3"}, format="json").status_code == 400
    sender, receiver = funded(with_pin(new_user()), 1_000_000), new_user()
    body = {"type": "p2p", "recipient": receiver.phone, "amount": "100.00"}

    def send(data=body, *, pin=None, key=None):
        headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key or uuid.uuid4().hex}
        if pin is not None:
            headers["HTTP_X_TRANSACTION_PIN"] = pin
        return client_for(sender).post("/api/transfers", json.dumps(data), content_type="application/json", **headers)

    missing = send()
    assert (missing.status_code, error_code(missing)) == (403, "transaction_pin_required")
    wrong = send(pin="9153")
    assert (wrong.status_code, error_code(wrong)) == (403, "invalid_transaction_pin")
    assert pin_of(sender).failed_attempts == 1  # counted although the request failed and rolled back
    with schema_context("ng"):
        assert not Transfer.objects.filter(sender=sender).exists()
    assert balance(sender) == 1_000_000
    done = send(pin=PIN, key="pin-transfer-1")
    assert done.status_code == 201, done.content
    assert pin_of(sender).failed_attempts == 0 and balance(sender) == 990_000
    replay = send(key="pin-transfer-1")  # a replay moves nothing, so it needs no PIN
    assert replay.status_code == 201 and replay["Idempotency-Replayed"] == "true"
    assert send({**body, "amount": "20.00"}).status_code == 201  # under the threshold
    hold = post(sender, "/api/cash/withdrawal-codes", {"amount": "100.00"})  # a hold, not a transfer: guarded too
    assert (hold.status_code, error_code(hold)) == (403, "transaction_pin_required")
    no_pin = funded(new_user(), 100_000)
    answer = client_for(no_pin).post("/api/transfers", json.dumps(body), content_type="application/json",
                                     HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)
    assert (answer.status_code, error_code(answer)) == (403, "transaction_pin_not_set")
    assert balance(sender) == 990_000 - 2_000 and balance(receiver) == 12_000


def test_the_openapi_schema_documents_the_pin_header(host_client):
    schema = host_client("ng.localhost").get("/api/schema/", {"format": "json"}).json()

    def headers(path, method):
        return {p["name"] for p in schema["paths"][path][method].get("parameters", []) if p["in"] == "header"}

    for path in ("/api/purchase", "/api/transfers", "/api/cash/in", "/api/cash/withdrawal-codes"):
        assert "X-Transaction-PIN" in headers(path, "post"), path
    assert "X-Transaction-PIN" not in headers("/api/transfers", "get")
    assert {"/api/pin", "/api/pin/change", "/api/pin/reset", "/api/pin/policy"} <= set(schema["paths"])


def test_a_portal_form_asks_the_pin_when_the_payment_needs_it(host_client, sms):
    from tenant_apps.pins.services import pin_policy_update
    from tests.portal.test_shop_pages import form_key, logged_in

    with schema_context("ng"):
        pin_policy_update(actor=None, web_api_threshold_minor=5_000)
    sender, receiver = funded(with_pin(new_user()), 100_000), new_user()
    client = logged_in(host_client, sender)
    body = {"idempotency_key": form_key(client.get("/transfers")), "recipient": receiver.phone, "amount": "250"}
    asked = client.post("/transfers", body)
    html = asked.content.decode()
    assert asked.status_code == 400 and 'name="transaction_pin"' in html and "transaction PIN" in html
    assert balance(sender) == 100_000
    done = client.post("/transfers", {**body, "transaction_pin": PIN})  # the same form key, now with the PIN
    assert done.status_code == 302, done.content.decode()[:500]
    assert balance(sender) == 75_000 and balance(receiver) == 25_000
    page = client.get("/security/pin")
    assert page.status_code == 200 and "Change your PIN" in page.content.decode()


def test_an_agent_cash_in_is_confirmed_by_the_customers_pin(sms, django_capture_on_commit_callbacks):
    from tenant_apps.kyc.models import KycStatus, KycSubmission

    agent, _row = new_agent(float_minor=5_000_000)
    customer = with_pin(new_user())
    with schema_context("ng"):  # tier 2 (the phone-only tier stops at 5,000 NGN)
        for scheme in ("nin", "bvn"):
            KycSubmission.objects.create(user=customer, scheme=scheme, number_encrypted="x", number_masked="*",
                                         number_fingerprint=f"{scheme}-{customer.pk}", status=KycStatus.APPROVED)
    with django_capture_on_commit_callbacks(execute=True):
        started = post(agent, "/api/cash/in", {"customer": customer.phone, "amount": "30000"})
    assert started.status_code == 202 and started.json()["confirmation"] == "pin", started.content
    assert sms.messages(to=customer.phone) == []  # nothing to send: the customer types their PIN
    confirm = f"/api/cash/in/{started.json()['id']}/confirm"
    wrong = post(agent, confirm, {"code": "9153"})
    assert (wrong.status_code, error_code(wrong)) == (400, "invalid_confirmation")
    assert pin_of(customer).failed_attempts == 1  # the PIN's own counter too
    with django_capture_on_commit_callbacks(execute=True):
        done = post(agent, confirm, {"code": PIN})
    assert done.status_code == 200 and done.json()["status"] == "completed", done.content
    assert balance(customer) == 3_000_000
    assert re.search(r"NGN 30,000\.00", sms.messages(to=customer.phone)[0]["sms"])


def test_a_pin_reset_for_a_verified_phone_that_is_gone_is_a_403_and_sends_nothing(sms):
    """Found by ``manage.py fuzz_api``: a user whose verified phone is gone (erased, removed by staff) asked for a
    PIN reset code and got a 500 (the code had no number to go to). Now 403 ``phone_not_verified``, no code row,
    no text; the same for any money move."""
    from tenant_apps.accounts.models import PhoneOtp, User

    user = new_user()
    with schema_context("ng"):
        User.objects.filter(pk=user.pk).update(phone=None)
        user.refresh_from_db()
    client = client_for(user)
    answer = client.post("/api/pin/reset", {}, format="json")
    assert (answer.status_code, error_code(answer)) == (403, "phone_not_verified")
    transfer = client.post("/api/pin", {"pin": PIN}, format="json")
    assert transfer.status_code == 403
    with schema_context("ng"):
        assert not PhoneOtp.objects.filter(user=user).exists()
