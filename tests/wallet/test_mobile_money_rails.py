"""Mobile-money rails end to end through their simulators (issue 16): Wave, CinetPay, Airtel Money, MTN MoMo
disbursement. Funding credited once (duplicate and racing notifications), payouts settled, failed -> released,
reversed after success -> refunded; signatures refused; callbacks bound to the provider that was sent the
payment or payout; the gateway's return URL is a page."""

from __future__ import annotations

import uuid

import pytest
from django_tenants.utils import schema_context

from provider_plugins.airtel_money.simulator import AirtelMoneySimulator
from provider_plugins.cinetpay.simulator import CinetPaySimulator
from provider_plugins.interfaces.common import OutcomeStatus
from provider_plugins.mtn_momo.simulator import MtnMomoSimulator
from provider_plugins.wave.simulator import WaveSimulator
from tenant_apps.ledger.models import AccountKind, Hold
from tenant_apps.ledger.services import fund_wallet, wallet_for
from tenant_apps.wallet.models import FundingIntent, Transfer, WebhookEvent
from tenant_apps.wallet.transfers import payout_poll, payout_submit
from tests.support.waiting import wait_for
from tests.wallet.helpers import (
    assert_books_balance,
    balance_of,
    client_for,
    deliver,
    funding_entries,
    new_customer,
    post,
    register_gateway,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def wave():
    with WaveSimulator(payout_delay=0.02) as sim:
        yield sim


@pytest.fixture(scope="module")
def cinetpay():
    with CinetPaySimulator(transfer_delay=0.02) as sim:
        yield sim


@pytest.fixture(scope="module")
def airtel():
    with AirtelMoneySimulator(approve_delay=0.02, disburse_delay=0.02) as sim:
        yield sim


@pytest.fixture(scope="module")
def momo_gh():
    with MtnMomoSimulator(transfer_delay=0.02) as sim:
        yield sim


@pytest.fixture
def sn_rails(db, wave, cinetpay):
    register_gateway(country="SN", key="wave", url=wave.url)
    register_gateway(country="SN", key="cinetpay", url=cinetpay.url)
    return {"wave": wave, "cinetpay": cinetpay}


@pytest.fixture
def ng_airtel(db, airtel):
    register_gateway(country="NG", key="airtel_money", url=airtel.url, options={"country": "NG", "currency": "NGN"})
    return airtel


def customer(schema: str, phone: str = "", funded: int = 0):
    user = new_customer(schema)
    if phone:
        with schema_context(schema):
            type(user).objects.filter(pk=user.pk).update(phone=phone)
            user.refresh_from_db()
    if funded:
        with schema_context(schema):
            fund_wallet(wallet=wallet_for(user=user), amount=funded, reference=f"test-fund:{uuid.uuid4()}")
    return user


def airtel_phone() -> str:
    return "+234802" + str(uuid.uuid4().int)[:7]


def form_deliver(client, path: str, delivery: dict):
    headers = {"HTTP_" + k.upper().replace("-", "_"): v for k, v in delivery["headers"].items()
               if k.lower() != "content-type"}
    return client.post(path, delivery["body"], content_type="application/x-www-form-urlencoded", **headers)


def start_payout(user, schema: str, rail: str, amount: str):
    answer = post(client_for(user, schema), "/api/transfers",
                  {"type": "wallet", "recipient": {"rail": rail}, "amount": amount})
    assert answer.status_code == 202, answer.content
    with schema_context(schema):
        return Transfer.objects.get(public_id=answer.json()["id"])


def settle(row: Transfer, schema: str, *, until: str = "pending") -> Transfer:
    """Submit (what the task does after commit) then poll until the status leaves ``until``."""
    with schema_context(schema):
        payout_submit(transfer_id=row.pk, schedule_poll=False)

        def final():
            payout_poll(transfer_id=row.pk, attempt=5)
            fresh = Transfer.objects.get(pk=row.pk)
            return fresh if fresh.status != until else None

        return wait_for(final, timeout=5)


def wave_status(row: Transfer):
    from tenant_apps.wallet.gateways import gateway_by_provider_id
    from tenant_apps.wallet.transfers import Capability, payout_status_at_rail

    return payout_status_at_rail(gateway=gateway_by_provider_id(provider_id=row.payout_provider_id,
                                                                capability=Capability.PAYOUTS), row=row)


def hold_state(row: Transfer, schema: str) -> str:
    with schema_context(schema):
        assert row.hold_id is not None
        return Hold.objects.get(pk=row.hold_id).status


# -- Wave -------------------------------------------------------------------------------------------

def test_wave_checkout_signed_webhook_credits_once_and_the_return_url_is_a_page(sn_rails, host_client, client):
    wave = sn_rails["wave"]
    user = customer("sn")
    body = post(client_for(user, "sn"), "/api/wallet/fund", {"amount": "1500", "gateway": "wave"}).json()
    assert body["authorization_url"].startswith(wave.url + "/c/cos-")
    session = wave.complete(body["reference"])
    assert session["success_url"].endswith(f"/wallet/fund/return/{body['id']}")
    webhook = wave.deliveries[-1]
    assert webhook["headers"]["Wave-Signature"].startswith("t=")
    app = host_client("sn.localhost")
    answers = [deliver(app, "/webhook/wave", webhook).json()["status"] for _ in range(3)]
    assert answers == ["succeeded", "duplicate", "duplicate"]
    assert balance_of(user, "sn") == 1500 and funding_entries(body["reference"], "sn") == 1
    # The browser lands on a page (no session needed): HTML showing the outcome, not a 401/406 JSON API.
    page = host_client("sn.localhost").get(f"/wallet/fund/return/{body['id']}", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and b'data-status="succeeded"' in page.content
    assert_books_balance("sn")


def test_wave_bad_or_stale_signature_is_refused_and_nothing_moves(sn_rails, host_client, caplog):
    wave = sn_rails["wave"]
    user = customer("sn")
    body = post(client_for(user, "sn"), "/api/wallet/fund", {"amount": "1000", "gateway": "wave"}).json()
    wave.fault_for(body["reference"], "bad_signature")
    wave.complete(body["reference"])
    forged = deliver(host_client("sn.localhost"), "/webhook/wave", wave.deliveries[-1])
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "bad_signature"
    headers, raw = wave.build_webhook({"id": "EV_stale", "type": "checkout.session.completed", "data": {}})
    headers["Wave-Signature"] = headers["Wave-Signature"].replace("t=", "t=1", 1)  # a timestamp from long ago
    stale = deliver(host_client("sn.localhost"), "/webhook/wave", {"headers": headers, "body": raw})
    assert stale.status_code == 401
    assert balance_of(user, "sn") == 0
    assert "Wave-Signature" not in caplog.text and wave.webhook_secret not in caplog.text


def test_wave_payout_settles_and_a_failed_one_is_released(sn_rails):
    wave = sn_rails["wave"]
    user = customer("sn", funded=10_000)
    row = settle(start_payout(user, "sn", "wave", "2000"), "sn")
    assert row.status == "succeeded" and row.provider_reference.startswith("pt-")
    assert hold_state(row, "sn") == "settled" and balance_of(user, "sn") == 8_000
    failing = start_payout(user, "sn", "wave", "3000")
    wave.fault_for(failing.reference, "failure")
    failing = settle(failing, "sn")
    assert failing.status == "failed" and failing.failure_reason == "blocked-account"
    seen = client_for(user, "sn").get(f"/api/transfers/{failing.public_id}", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert (seen["failure_code"], seen["failure_reason"]) == (  # the customer reads a sentence, not Wave's code
        "blocked-account",
        "La banque ou l'opérateur de mobile money a refusé le transfert\u00a0: l'argent a été restitué.")
    assert hold_state(failing, "sn") == "released" and balance_of(user, "sn") == 8_000
    assert_books_balance("sn")


def test_wave_payout_reversed_after_success_is_refunded_once(sn_rails):
    wave = sn_rails["wave"]
    user = customer("sn", funded=10_000)
    row = start_payout(user, "sn", "wave", "4000")
    wave.fault_for(row.reference, "reversed")
    row = settle(row, "sn")
    if row.status == "succeeded":  # polled between Wave's success and its reversal: the reversal comes next
        wait_for(lambda: [p for p in wave.payouts.values()
                          if p["client_reference"] == row.reference and p["status"] == "reversed"])
        with schema_context("sn"):
            result = wave_status(row)
            from tenant_apps.wallet.transfers import payout_apply
            row = payout_apply(transfer_id=row.pk, status=result.status, reversed_=result.reversed,
                               provider_status=result.provider_status)
    assert row.status == "reversed"
    assert balance_of(user, "sn") == 10_000
    assert_books_balance("sn")


# -- CinetPay ---------------------------------------------------------------------------------------

def test_cinetpay_payment_notification_xtoken_check_credits_once(sn_rails, host_client):
    cinetpay = sn_rails["cinetpay"]
    user = customer("sn")
    body = post(client_for(user, "sn"), "/api/wallet/fund", {"amount": "2500", "gateway": "cinetpay"}).json()
    assert "/payment/" in body["authorization_url"]
    cinetpay.complete(body["reference"])
    notification = cinetpay.deliveries[-1]
    assert notification["url"].endswith("sn.localhost/webhook/cinetpay") and "x-token" in notification["headers"]
    app = host_client("sn.localhost")
    forged = dict(notification, headers={**notification["headers"], "x-token": "0" * 64})
    assert form_deliver(app, "/webhook/cinetpay", forged).status_code == 401
    assert balance_of(user, "sn") == 0
    assert form_deliver(app, "/webhook/cinetpay", notification).json()["status"] == "succeeded"
    assert form_deliver(app, "/webhook/cinetpay", notification).json()["status"] == "duplicate"
    assert balance_of(user, "sn") == 2500 and funding_entries(body["reference"], "sn") == 1
    # CinetPay returns the browser with a form POST: the page takes it.
    back = app.post(f"/wallet/fund/return/{body['id']}", {"transaction_id": body["reference"], "token": "x"})
    assert back.status_code == 200 and b'data-status="succeeded"' in back.content


def test_cinetpay_transfer_notification_is_verified_then_applied_and_a_reversal_refunds(sn_rails, host_client):
    cinetpay = sn_rails["cinetpay"]
    user = customer("sn", funded=20_000)
    row = start_payout(user, "sn", "cinetpay", "5000")
    assert row.callback_url.endswith("/webhook/cinetpay/transfer")
    with schema_context("sn"):
        payout_submit(transfer_id=row.pk, schedule_poll=False)
    wait_for(lambda: cinetpay.transfers[row.reference]["treatment_status"] == "VAL")
    app = host_client("sn.localhost")
    notification = wait_for(lambda: next((d for d in cinetpay.deliveries if row.reference.encode() in d["body"]),
                                         None))
    assert form_deliver(app, "/webhook/cinetpay/transfer", notification).json()["status"] == "succeeded"
    assert form_deliver(app, "/webhook/cinetpay/transfer", notification).json()["status"] == "duplicate"
    assert balance_of(user, "sn") == 15_000
    cinetpay.reverse(row.reference)  # the operator took it back: CinetPay says REJ
    reversal = cinetpay.deliveries[-1]
    assert form_deliver(app, "/webhook/cinetpay/transfer", reversal).json()["status"] == "reversed"
    assert balance_of(user, "sn") == 20_000
    assert_books_balance("sn")


def test_cinetpay_failed_transfer_is_released(sn_rails):
    cinetpay = sn_rails["cinetpay"]
    user = customer("sn", funded=9_000)
    row = start_payout(user, "sn", "cinetpay", "1000")
    cinetpay.fault_for(row.reference, "failure")
    row = settle(row, "sn")
    assert row.status == "failed" and hold_state(row, "sn") == "released" and balance_of(user, "sn") == 9_000


def test_a_callback_only_touches_what_was_sent_to_that_same_provider(sn_rails, host_client):
    """A correctly signed Wave event naming a CinetPay payment, a CinetPay transfer notification naming a
    Wave payout: both refused (ignored), nothing moves."""
    wave, cinetpay = sn_rails["wave"], sn_rails["cinetpay"]
    user = customer("sn", funded=10_000)
    cp = post(client_for(user, "sn"), "/api/wallet/fund", {"amount": "1000", "gateway": "cinetpay"}).json()
    cinetpay.complete(cp["reference"])  # paid at CinetPay, not yet verified by us
    forged = {"id": "EV_cross", "type": "checkout.session.completed",
              "data": {"id": "cos-x", "client_reference": cp["reference"], "payment_status": "succeeded",
                       "checkout_status": "complete", "amount": "1000", "currency": "XOF"}}
    headers, raw = wave.build_webhook(forged)
    answer = deliver(host_client("sn.localhost"), "/webhook/wave", {"headers": headers, "body": raw})
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"
    with schema_context("sn"):
        assert FundingIntent.objects.get(reference=cp["reference"]).status == "pending"
    payout = settle(start_payout(user, "sn", "wave", "2000"), "sn")
    body = f"client_transaction_id={payout.reference}&treatment_status=REJ&transaction_id=TR1".encode()
    cross = host_client("sn.localhost").post("/webhook/cinetpay/transfer", body,
                                             content_type="application/x-www-form-urlencoded")
    assert cross.status_code == 200 and cross.json()["status"] == "ignored"
    with schema_context("sn"):
        assert Transfer.objects.get(pk=payout.pk).status == "succeeded"
        assert not WebhookEvent.objects.filter(subject=payout.reference).exists()
    assert balance_of(user, "sn") == 8_000


# -- Airtel Money -----------------------------------------------------------------------------------

def test_airtel_push_callback_hash_enquiry_credits_once(ng_airtel, host_client):
    airtel = ng_airtel
    user = customer("ng", phone=airtel_phone())
    body = post(client_for(user), "/api/wallet/fund", {"amount": "1000.00", "gateway": "airtel_money"})
    assert body.status_code == 202, body.content
    body = body.json()
    callback = wait_for(lambda: next((d for d in airtel.deliveries if body["reference"].encode() in d["body"]), None))
    app = host_client("ng.localhost")
    tampered = dict(callback, body=callback["body"].replace(b'"TS"', b'"TF"'))
    assert deliver(app, "/webhook/airtel_money", tampered).status_code == 401  # the hash covers the body
    assert deliver(app, "/webhook/airtel_money", callback).json()["status"] == "succeeded"
    assert deliver(app, "/webhook/airtel_money", callback).json()["status"] == "duplicate"
    assert balance_of(user) == 100_000 and funding_entries(body["reference"]) == 1
    assert_books_balance("ng")


def test_airtel_disbursement_name_check_encrypted_pin_settles_and_failure_releases(ng_airtel, host_client):
    airtel = ng_airtel
    user = customer("ng", phone=airtel_phone(), funded=500_000)
    check = post(client_for(user), "/api/transfers/wallet-name-check", {"rail": "airtel_money"}, key=None)
    assert check.status_code == 200 and check.json()["name"].startswith("AMINA BELLO")
    checks_before = len(airtel.pin_checks)
    row = settle(start_payout(user, "ng", "airtel_money", "1500.00"), "ng")
    assert airtel.pin_checks[checks_before:] == [True]  # the simulator decrypted our RSA-encrypted PIN
    assert row.status == "succeeded" and row.account_name.startswith("AMINA BELLO")
    failing = start_payout(user, "ng", "airtel_money", "2000.00")
    airtel.fault_for(failing.reference, "failure")
    failing = settle(failing, "ng")
    assert failing.status == "failed" and hold_state(failing, "ng") == "released"
    assert balance_of(user) == 500_000 - 150_000
    other = post(client_for(user), "/api/transfers",
                 {"type": "wallet", "recipient": {"rail": "airtel_money", "phone": airtel_phone()}, "amount": "10.00"})
    assert other.status_code == 400 and other.json()["error"]["code"] == "not_own_wallet"
    assert_books_balance("ng")


def test_airtel_reversal_callback_before_success_is_applied_once(ng_airtel, host_client):
    """Out of order: the reversal's callback arrives before the success's; both verified by enquiry."""
    airtel = ng_airtel
    user = customer("ng", phone=airtel_phone(), funded=300_000)
    row = start_payout(user, "ng", "airtel_money", "1000.00")
    airtel.fault_for(row.reference, "out_of_order")
    with schema_context("ng"):
        payout_submit(transfer_id=row.pk, schedule_poll=False)
    callbacks = wait_for(lambda: [d for d in airtel.deliveries if row.reference.encode() in d["body"]] or None)
    wait_for(lambda: len([d for d in airtel.deliveries if row.reference.encode() in d["body"]]) == 2)
    callbacks = [d for d in airtel.deliveries if row.reference.encode() in d["body"]]
    app = host_client("ng.localhost")
    statuses = [deliver(app, "/webhook/airtel_money", d).json()["status"] for d in callbacks]
    # Airtel has no "reversed" word: its enquiry says TF, so the still-pending payout is released (failed).
    assert statuses[0] in ("failed", "reversed") and statuses[1] in ("duplicate", statuses[0])
    assert balance_of(user) == 300_000
    assert_books_balance("ng")


# -- MTN MoMo disbursement --------------------------------------------------------------------------

def test_momo_disbursement_checks_the_account_holder_then_pays(db, momo_gh, host_client):
    register_gateway(country="GH", key="mtn_momo", url=momo_gh.url, options={"target_environment": "sandbox"})
    user = customer("gh", funded=100_000)
    check = post(client_for(user, "gh"), "/api/transfers/wallet-name-check", {}, key=None)
    assert check.status_code == 200 and check.json() == {"phone": user.phone, "name": check.json()["name"],
                                                           "rail": "mtn_momo"}
    assert check.json()["name"].startswith("KWAME MENSAH")
    row = start_payout(user, "gh", "mtn_momo", "25.00")
    assert row.callback_url.endswith("gh.localhost/webhook/mtn_momo/disbursement")
    row = settle(row, "gh")
    assert row.status == "succeeded" and balance_of(user, "gh") == 97_500
    failing = start_payout(user, "gh", "mtn_momo", "10.00")
    momo_gh.fault_for(failing.reference, "failure")
    failing = settle(failing, "gh")
    assert failing.status == "failed" and balance_of(user, "gh") == 97_500
    # MoMo's unsigned callback is only a reason to ask: a forged SUCCESSFUL for the failed one moves nothing.
    forged = (b'{"externalId": "%s", "status": "SUCCESSFUL", "amount": "10", "currency": "GHS"}'
              % failing.reference.encode())
    answer = host_client("gh.localhost").put("/webhook/mtn_momo/disbursement", forged, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["status"] in ("failed", "duplicate")
    assert balance_of(user, "gh") == 97_500
    with schema_context("gh"):
        assert wallet_for(user=user).kind == AccountKind.USER_WALLET
    assert_books_balance("gh")


# -- reconciliation --------------------------------------------------------------------------------

def test_payouts_are_reconciled_against_the_rails_record(sn_rails):
    """A payout we settled that Wave later reversed (we never heard: Wave has no payout events) and a payout
    we released that CinetPay in fact paid are both reported by reconcile_ledger --payouts; nothing is fixed."""
    from django.core.management import CommandError, call_command

    from tenant_apps.wallet.services import payout_discrepancies

    wave, cinetpay = sn_rails["wave"], sn_rails["cinetpay"]
    user = customer("sn", funded=50_000)
    paid = settle(start_payout(user, "sn", "wave", "3000"), "sn")
    ok = settle(start_payout(user, "sn", "wave", "1000"), "sn")
    released = start_payout(user, "sn", "cinetpay", "2000")
    with schema_context("sn"):
        from tenant_apps.wallet.transfers import payout_apply

        payout_submit(transfer_id=released.pk, schedule_poll=False)
        wait_for(lambda: cinetpay.transfers[released.reference]["treatment_status"] == "VAL")
        # as if a wrong "failed" had been applied: we gave the money back although CinetPay paid
        Transfer.objects.filter(pk=released.pk).update(status="pending")
        payout_apply(transfer_id=released.pk, status=OutcomeStatus.FAILED, provider_status="test")
    wave.reverse(paid.provider_reference)
    with schema_context("sn"):
        found = {(d.kind, d.subject.split()[-1]) for d in payout_discrepancies()}
    assert ("payout_failed_at_rail", paid.reference) in found
    assert ("payout_paid_but_refunded", released.reference) in found
    assert not any(ref == ok.reference for _, ref in found)
    with pytest.raises(CommandError):  # the command exits non-zero when it found discrepancies
        call_command("reconcile_ledger", "--schema", "sn", "--payouts")
    with schema_context("sn"):
        assert Transfer.objects.get(pk=paid.pk).status == "succeeded"  # reported, never fixed


# -- portal ------------------------------------------------------------------------------------------

def test_portal_cash_out_shows_the_name_then_sends_once(db, momo_gh, host_client):
    """The payout page: check (the MoMo holder's name is shown), confirm (held, sent), replay = same payout."""
    from tests.portal.test_shop_pages import form_key, logged_in

    register_gateway(country="GH", key="mtn_momo", url=momo_gh.url, options={"target_environment": "sandbox"})
    user = customer("gh", funded=50_000)
    client = logged_in(host_client, user, "gh.localhost")
    page = client.get("/wallet/cash-out")
    assert page.status_code == 200 and b'value="mtn_momo"' in page.content
    body = {"idempotency_key": form_key(page), "rail": "mtn_momo", "amount": "12.00"}
    check = client.post("/wallet/cash-out", body)
    assert check.status_code == 200 and b"KWAME MENSAH" in check.content and b'cash-out-confirm' in check.content
    confirm = {**body, "idempotency_key": form_key(check), "confirm": "True"}
    sent = client.post("/wallet/cash-out", confirm)
    assert sent.status_code == 302 and "sent=" in sent["Location"]
    assert client.post("/wallet/cash-out", confirm).status_code == 302  # the same form again: no second payout
    with schema_context("gh"):
        rows = list(Transfer.objects.filter(sender=user, type="wallet"))
    assert len(rows) == 1 and rows[0].account_name.startswith("KWAME MENSAH")
    assert balance_of(user, "gh") == 50_000 - 1_200
    assert settle(rows[0], "gh").status == "succeeded"
