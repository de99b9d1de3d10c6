"""USSD end to end: a handset on the Africa's Talking gateway simulator, which calls this process over real HTTP
(tenant domains ng.localhost / sn.localhost), and purchases settled by the real purchase pipeline (VTPass
simulator, Celery worker). Money assertions are on the books and on the simulators' own records."""

from __future__ import annotations

import json
import re
import uuid

import requests
from django.core.cache import cache
from django_tenants.utils import schema_context

from provider_plugins.africastalking_ussd.simulator import UssdPhone
from tests.orders.helpers import assert_books, attempts, wait_final, wait_for, wallet_balance
from tests.ussd.helpers import CODES, PIN, customer, ng_phone, phone_of

FUNDS = 1_000_000  # 10 000.00 NGN
AIRTIME_PRICE = 9_894  # NGN 100.00 of VTPass airtime at 97 % cost + the tenant's 2 % margin (tests/orders)


def _orders(user):
    from tenant_apps.orders.models import Order

    with schema_context("ng"):
        return list(Order.objects.filter(user=user).order_by("id"))


def _buy_airtime_for_self(phone, *, pin: str = PIN) -> dict:
    assert "1. Balance" in phone.dial(CODES["ng"])["message"]
    assert "1. My number" in phone.send("2")["message"]
    assert "Enter the amount" in phone.send("1")["message"]
    confirm = phone.send("100")["message"]
    assert "You pay NGN 98.94" in confirm and "PIN" in confirm, confirm
    return phone.send(pin)


def test_a_full_session_buys_airtime_through_the_purchase_pipeline(live_db, stack, gateway):
    user = customer(phone=ng_phone(), balance_minor=FUNDS)
    phone = phone_of(gateway, user)
    final = _buy_airtime_for_self(phone)
    assert final["status"] == "ended", final
    assert final["message"].startswith("Paid NGN 98.94. Ref "), final
    [order] = _orders(user)
    assert order.recipient_phone == user.phone and order.face_value_minor == 10_000
    settled = wait_final(str(order.public_id))
    assert settled.status == "settled"
    [attempt] = attempts(settled)
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    assert_books(user, FUNDS - AIRTIME_PRICE)
    # The gateway's end-of-session notice reached us (Success) and every screen fit a handset.
    [notice] = wait_for(phone.notifications, what="end-of-session notice")
    assert notice["status"] == 200 and notice["form"]["status"] == "Success"
    assert all(len(screen["answer"]) <= 164 for screen in phone.details()["screens"])
    # Balance and the last transactions over USSD, from the same books.
    assert phone.run(CODES["ng"], "1")["message"] == "Balance: NGN 9,901.06"  # FUNDS - AIRTIME_PRICE
    history = phone.run(CODES["ng"], "6")["message"]
    assert history.startswith("Last transactions") and "-NGN 98.94 Purchase" in history, history


def test_a_wrong_pin_moves_nothing_and_counts(live_db, stack, gateway):
    from tenant_apps.pins.models import TransactionPin

    user = customer(phone=ng_phone(), balance_minor=FUNDS)
    final = _buy_airtime_for_self(phone_of(gateway, user), pin="9153")
    assert final["status"] == "ended" and final["message"] == "Wrong PIN. 2 attempt(s) left."
    assert _orders(user) == []
    assert_books(user, FUNDS)
    with schema_context("ng"):
        assert TransactionPin.objects.get(user=user).failed_attempts == 1


def test_a_locked_pin_stops_every_money_menu(live_db, stack, gateway):
    user = customer(phone=ng_phone(), balance_minor=FUNDS)
    phone = phone_of(gateway, user)
    answers = [_buy_airtime_for_self(phone, pin=wrong)["message"] for wrong in ("9153", "8642", "7315")]
    assert answers[:2] == ["Wrong PIN. 2 attempt(s) left.", "Wrong PIN. 1 attempt(s) left."]
    assert answers[2].startswith("Your PIN is locked")
    assert phone.run(CODES["ng"], "5")["message"].startswith("Your PIN is locked")  # even before typing a PIN
    assert _orders(user) == [] and wallet_balance(user) == FUNDS


def test_a_repeated_or_late_request_never_buys_twice(live_db, stack, gateway):
    from tenant_apps.idempotency.models import IdempotencyKey
    from tenant_apps.ussd import sessions

    user = customer(phone=ng_phone(), balance_minor=FUNDS)
    phone = phone_of(gateway, user)
    gateway.set_mode("duplicate")  # every screen reaches us twice at once (a retransmission racing the first)
    try:
        phone.dial(CODES["ng"])
        for value in ("2", "1", "100"):
            phone.send(value)
        with schema_context("ng"):
            before_pin = sessions.load(phone.session_id)  # where the session stood before the money step
            assert before_pin is not None
        final = phone.send(PIN)
    finally:
        gateway.set_mode("ok")
    assert final["message"].startswith("Paid NGN 98.94"), final
    details = phone.details()
    assert details["twinAnswers"][-1] == "END " + final["message"]  # the twin got the same answer
    # Late: the gateway resends the last request after the session ended (its state is gone): same answer.
    assert gateway.resend(phone.session_id) == "END " + final["message"]
    # Even with the stored answer lost, the money step replays its idempotency record instead of buying again.
    with schema_context("ng"):
        sessions.save(before_pin)
        caller = f"{user.phone}|{sessions.dial(phone.session_id, new=False)}"
        cache.delete(sessions._key("answer", phone.session_id, details["text"], caller))
    assert gateway.resend(phone.session_id) == "END " + final["message"]
    [order] = _orders(user)
    with schema_context("ng"):
        assert IdempotencyKey.objects.filter(user=user, key=f"ussd:{phone.session_id}:{before_pin.started}:confirm"
                                             ).count() == 1
    assert wait_final(str(order.public_id)).status == "settled"
    [attempt] = attempts(order)
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    assert_books(user, FUNDS - AIRTIME_PRICE)


def test_menus_speak_french_on_sn_and_p2p_asks_the_pin(live_db, gateway):
    sender = customer("sn", phone=f"+22177{uuid.uuid4().int % 10**7:07d}", balance_minor=50_000)
    receiver = customer("sn", phone=f"+22177{uuid.uuid4().int % 10**7:07d}", pin=None)
    phone = phone_of(gateway, sender)
    menu = phone.dial(CODES["sn"])["message"]
    assert menu.splitlines()[:3] == ["NexusTop Sénégal", "1. Solde", "2. Acheter du crédit"], menu
    assert "5. Envoyer de l'argent" in menu
    assert phone.send("5")["message"] == "Envoyer de l'argent\nEntrez le numéro du destinataire\n0. Retour"
    assert "Montant" in phone.send(receiver.phone[4:])["message"]
    confirm = phone.send("2000")["message"]
    assert "Envoyer 2 000 CFA" in confirm and "code PIN" in confirm, confirm
    done = phone.send(PIN)["message"]
    assert done.startswith("2 000 CFA envoyés") and "Solde : 48 000 CFA" in done, done
    assert wallet_balance(receiver, "sn") == 2_000 and wallet_balance(sender, "sn") == 48_000


def test_only_registered_verified_phones_are_served(live_db, gateway):
    unverified = customer(phone=ng_phone(), pin=None, verified=False)
    for number in (ng_phone(), unverified.phone):
        screen = UssdPhone(gateway.url, phone=number).dial(CODES["ng"])
        assert screen["status"] == "ended" and screen["message"].startswith("This number has no NexusTop Nigeria "
                                                                            "account"), screen


def test_hostile_requests_are_refused_never_a_500(live_db, gateway, app_server, caplog, monkeypatch):
    user = customer(phone=ng_phone(), balance_minor=FUNDS)
    phone = phone_of(gateway, user)
    phone.dial(CODES["ng"])
    # An overlong input: a 200 END saying why (a 4xx was shown on the handset as "Connection problem or invalid
    # MMI code", the customer never saw our answer).
    screen = phone.send("1" * 300)
    assert screen["status"] == "ended", screen
    assert screen["message"] == "This input is not accepted. Dial again and type numbers only."
    french = phone_of(gateway, customer("sn", phone=f"+22177{uuid.uuid4().int % 10**7:07d}"))
    french.dial(CODES["sn"])
    assert french.send("1" * 300)["message"] == ("Cette saisie n'est pas acceptée. Rappelez et tapez uniquement "
                                                 "des chiffres.")
    callback = gateway._channels[CODES["ng"]].callback_url
    url, host = callback.replace("ng.localhost", "127.0.0.1"), f"ng.localhost:{app_server}"
    form = {"sessionId": "ATUid_" + uuid.uuid4().hex, "serviceCode": CODES["ng"], "phoneNumber": user.phone,
            "networkCode": "62130", "text": ""}

    def post(data, *, target=url, **headers):
        return requests.post(target, data=data, headers={"Host": host, **headers}, timeout=10)

    cases = {
        "letters in text": (post({**form, "text": "1*<script>"}), 200),
        "too many inputs": (post({**form, "text": "*".join(["1"] * 30)}), 200),
        "non-ASCII text": (post({**form, "text": "1*é٣"}), 200),
        "missing session": (post({k: v for k, v in form.items() if k != "sessionId"}), 400),
        "oversized body": (post({**form, "pad": "x" * 8000}), 413),
        "JSON body": (requests.post(url, data=json.dumps(form), headers={"Host": host, "Content-Type":
                                                                         "application/json"}, timeout=10), 415),
        "wrong token": (post(form, target=url.rsplit("/", 1)[0] + "/not-the-token"), 403),
        "wrong service code": (post({**form, "serviceCode": "*999#"}), 200),
    }
    for name, (answer, status) in cases.items():
        assert answer.status_code == status, (name, answer.status_code, answer.text[:200])
        if status != 415:
            assert answer.text.startswith("END"), (name, answer.text)
    assert "not available" in cases["wrong service code"][0].text
    for name in ("letters in text", "too many inputs", "non-ASCII text"):
        assert cases[name][0].text == "END This input is not accepted. Dial again and type numbers only.", name

    def broken(_request):
        raise RuntimeError("a bug")

    monkeypatch.setattr("tenant_apps.ussd.menu.respond", broken)
    crashed = post(form)
    assert crashed.status_code == 200 and crashed.text.startswith("END Sorry, something went wrong."), crashed.text
    assert any("ussd callback refused" in record.getMessage() for record in caplog.records)
    assert wallet_balance(user) == FUNDS


def test_the_gateways_timeouts_and_lost_answers_reach_us_as_the_real_ones_would(live_db, gateway):
    from tenant_apps.ussd import sessions

    user = customer(phone=ng_phone(), pin=None)
    phone = phone_of(gateway, user)
    phone.dial(CODES["ng"])
    with schema_context("ng"):
        assert sessions.load(phone.session_id) is not None
    gateway.set_timeouts(customer=0.2)  # the customer stops answering
    try:
        [notice] = wait_for(phone.notifications, timeout=5, what="timeout notice")
    finally:
        gateway.set_timeouts(customer=60.0)
    assert notice["form"]["status"] == "Incomplete" and notice["status"] == 200
    assert phone.details()["status"] == "timeout"
    with schema_context("ng"):
        assert sessions.load(phone.session_id) is None  # the notice made us forget it
    gateway.set_mode("drop_answer")  # our answer to the first screen is lost on the way back
    try:
        screen = phone.dial(CODES["ng"])
    finally:
        gateway.set_mode("ok")
    details = phone.details()
    assert screen["status"] == "failed" and details["error"] == "Answer lost on the network"
    assert details["lateAnswers"] == [details["screens"][0]["answer"]]  # resent late: the same menu again
    assert [n["form"]["status"] for n in phone.notifications()] == ["Failed"]


def test_the_gateways_address_and_no_cookie_are_not_the_customers_device(live_db, gateway, app_server):
    """Every customer's request comes from the gateway's few addresses: the risk gate counted them as one IP (an
    IP velocity rule refused the second customer of the day), and each answer minted a new web device cookie
    (every USSD payment from a device never seen). Over USSD the device is the caller's SIM, there is no IP."""
    from tenant_apps.risk.devices import describe
    from tenant_apps.risk.models import RiskDecision, RiskRule, UserDevice
    from tests.risk.helpers import make_rule

    receiver = customer(phone=ng_phone(), pin=None)
    senders = [customer(phone=ng_phone(), balance_minor=FUNDS) for _ in range(2)]
    rule = make_rule(name="two per address", rule_type="velocity_count", scope="ip", window_seconds=600,
                     threshold_count=1, flows=["p2p"], action="block")
    try:
        for sender in senders:
            done = phone_of(gateway, sender).run(CODES["ng"], "5", receiver.phone, "100", PIN)["message"]
            assert done.startswith("Sent NGN 100.00 to "), done
            for _again in range(2):  # the same SIM is the same device each time
                phone_of(gateway, sender).run(CODES["ng"], "5", receiver.phone, "1", PIN)
    finally:
        with schema_context("ng"):
            RiskRule.objects.filter(pk=rule.pk).delete()
    assert wallet_balance(receiver) == 2 * 10_200
    with schema_context("ng"):
        decisions = RiskDecision.objects.filter(user__in=senders)
        assert decisions.count() == 6 and {(d.channel, d.ip) for d in decisions} == {("ussd", None)}
        [device] = UserDevice.objects.filter(user=senders[0])
        assert device.channel == "ussd" and describe(device) == "USSD phone"
    answer = requests.post(gateway._channels[CODES["ng"]].callback_url.replace("ng.localhost", "127.0.0.1"),
                           data={"sessionId": "ATUid_" + uuid.uuid4().hex, "serviceCode": CODES["ng"],
                                 "phoneNumber": senders[0].phone, "text": ""},
                           headers={"Host": f"ng.localhost:{app_server}"}, timeout=10)
    assert answer.status_code == 200 and answer.text.startswith("CON ") and "Set-Cookie" not in answer.headers


def test_a_session_id_used_again_later_is_a_new_session(live_db, gateway, app_server):
    """Gateways that recycle session ids: the same id dialled again after its END got the kept first screen with
    no state behind it (the next screen was "expired"), then its payment step replayed the earlier payment's
    answer ("Sent ...") without moving money; another phone with that id got the first caller's screens."""
    sender, receiver = customer(phone=ng_phone(), balance_minor=FUNDS), customer(phone=ng_phone(), pin=None)
    stranger = customer(phone=ng_phone(), balance_minor=500)
    url = gateway._channels[CODES["ng"]].callback_url.replace("ng.localhost", "127.0.0.1")
    session_id = "ATUid_" + uuid.uuid4().hex

    def screen(user, *inputs: str) -> str:
        answer = requests.post(url, data={"sessionId": session_id, "serviceCode": CODES["ng"],
                                          "phoneNumber": user.phone, "text": "*".join(inputs)},
                               headers={"Host": f"ng.localhost:{app_server}"}, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.text

    def send_100(user) -> str:
        steps = ("5", receiver.phone, "100", PIN)
        for done in range(len(steps)):
            screen(user, *steps[:done])
        return screen(user, *steps)

    assert send_100(sender).startswith("END Sent NGN 100.00")
    again = send_100(sender)  # the same id, later: a new session and a new payment
    assert again.startswith("END Sent NGN 100.00") and again.endswith("Balance: NGN 9,800.00"), again
    assert wallet_balance(sender) == FUNDS - 20_000 and wallet_balance(receiver) == 20_000
    assert send_100(stranger) == "END Your balance is too low for this."  # not the sender's kept "Sent ..."
    assert wallet_balance(stranger) == 500 and wallet_balance(receiver) == 20_000


NEW_PIN = "5082"


def test_changing_the_pin_counts_a_wrong_current_pin_and_takes_effect_at_once(live_db, gateway):
    from tenant_apps.audit.models import AuditEvent
    from tenant_apps.pins.models import TransactionPin

    sender, receiver = customer(phone=ng_phone(), balance_minor=FUNDS), customer(phone=ng_phone(), pin=None)
    phone = phone_of(gateway, sender)

    def pin_row():
        with schema_context("ng"):
            return TransactionPin.objects.get(user=sender)

    menu = phone.dial(CODES["ng"])["message"]
    assert menu.endswith("\n7. Change my PIN\n8. Cash out") and "Create my PIN" not in menu, menu
    assert phone.send("7")["message"] == "Change my PIN\nEnter your current PIN\n9. Forgot my PIN\n0. Cancel"
    assert phone.send("9153")["message"] == "Wrong PIN. 2 attempt(s) left."  # the payment's counter
    before = pin_row()
    assert before.failed_attempts == 1
    assert phone.run(CODES["ng"], "7", PIN, "1234")["message"].startswith("This PIN is too easy to guess")
    done = phone.run(CODES["ng"], "7", PIN, NEW_PIN, NEW_PIN)
    assert done["status"] == "ended" and done["message"] == "Your new PIN is saved. Use it from now on. Never share it."
    after = pin_row()
    assert after.pin_hash != before.pin_hash and after.failed_attempts == 0
    with schema_context("ng"):
        assert AuditEvent.objects.filter(action="pin_changed", subject_id=str(sender.public_id)).count() == 1
    # At once: the old PIN is a wrong PIN at payment (counted), the new one pays.
    assert phone.run(CODES["ng"], "5", receiver.phone, "100", PIN)["message"] == "Wrong PIN. 2 attempt(s) left."
    assert pin_row().failed_attempts == 1
    assert phone.run(CODES["ng"], "5", receiver.phone, "100", NEW_PIN)["message"].startswith("Sent NGN 100.00")
    assert wallet_balance(sender) == FUNDS - 10_000 and wallet_balance(receiver) == 10_000


def _agent():
    from django.utils import timezone

    from tenant_apps.accounts.models import User

    with schema_context("ng"):
        return User.objects.create_user(email=f"ussd-agent-{uuid.uuid4().hex[:10]}@example.test", role="agent",
                                        phone=ng_phone(), phone_verified_at=timezone.now())


def test_cash_out_texts_the_code_keeps_it_nowhere_and_a_repeat_makes_no_second_code(live_db, stack, gateway):
    """The withdrawal code is a bearer secret: it goes out once, by SMS (stored masked), never on the screen, so
    neither the answers kept in Redis for the gateway's repeats nor the idempotency record nor a log line holds it;
    a repeated or late request answers the same code-free screen and makes no second code or hold."""
    from django.db import transaction

    from tenant_apps.cash.models import WithdrawalCode
    from tenant_apps.cash.services import cash_out_check, cash_out_complete
    from tenant_apps.idempotency.models import IdempotencyKey
    from tenant_apps.ledger.models import Hold
    from tenant_apps.notifications.models import SmsMessage
    from tenant_apps.ussd import sessions
    from tests.support import log_scan
    from tests.ussd.helpers import every_log_line, redis_holding

    user = customer(phone=ng_phone(), balance_minor=FUNDS)
    phone = phone_of(gateway, user)
    with every_log_line() as lines:
        phone.dial(CODES["ng"])
        assert phone.send("8")["message"] == "Cash out\nEnter the amount\n0. Back"
        assert phone.send("5+")["message"] == "This amount is not valid.\nEnter the amount\n0. Back"
        confirm = phone.send("5000")["message"]
        assert confirm == ("Cash out NGN 5,000.00 at an agent\nFee: NGN 50.00\nYou pay NGN 5,050.00\n"
                           "Enter your PIN to confirm\n0. Cancel"), confirm
        with schema_context("ng"):
            before_pin = sessions.load(phone.session_id)
        assert before_pin is not None
        gateway.set_mode("duplicate")  # the PIN's request reaches us twice at once
        try:
            final = phone.send(PIN)
        finally:
            gateway.set_mode("ok")
        text = ("Your code to cash out NGN 5,000.00 was sent by SMS. Give it to the agent with your number within "
                "30 min. Fee NGN 50.00.")
        assert final["status"] == "ended" and final["message"] == text, final
        assert phone.details()["twinAnswers"][-1] == "END " + text
        assert gateway.resend(phone.session_id) == "END " + text  # late, after the END
        with schema_context("ng"):  # the kept answer lost too: the idempotency record answers, nothing runs again
            sessions.save(before_pin)
            caller = f"{user.phone}|{sessions.dial(phone.session_id, new=False)}"
            cache.delete(sessions._key("answer", phone.session_id, phone.details()["text"], caller))
        assert gateway.resend(phone.session_id) == "END " + text
    [sms] = stack.sms.messages(to=user.phone)
    found = re.search(r"code is (\d{8}) for NGN 5,000\.00 \(fee NGN 50\.00\)", sms["sms"])
    assert found, sms
    code = found.group(1)
    log_scan._handler.secrets["a USSD withdrawal code"] = code  # and every log line after this test
    assert len(lines) > 20 and not [line for line in lines if code in line]
    assert redis_holding(code) == []
    with schema_context("ng"):
        [row] = WithdrawalCode.objects.filter(customer=user)
        assert (row.amount_minor, row.fee_minor, row.status) == (500_000, 5_000, "active")
        assert Hold.objects.filter(reference=f"cashout:{row.public_id}").count() == 1
        [key] = IdempotencyKey.objects.filter(user=user)
        assert code not in json.dumps(key.response_body) and key.key.endswith(":confirm")
        [stored] = SmsMessage.objects.filter(to=user.phone, purpose="withdrawal_code")
        assert code not in stored.body_redacted and "********" in stored.body_redacted
    assert_books(user, FUNDS - 505_000)
    # The code the SMS carried pays out at an agent (the API's two steps): the hold settles, once.
    agent = _agent()
    with schema_context("ng"):
        code_id = cash_out_check(agent=agent, customer_phone=user.phone, code=code, amount_minor=500_000)
        with transaction.atomic():
            cash_out_complete(agent=agent, code_id=code_id)
    assert wallet_balance(agent) == 500_000
    assert_books(user, FUNDS - 505_000)


def test_a_step_up_rule_is_answered_by_the_pin_typed_on_the_confirmation(live_db, stack, gateway):
    """Over USSD nobody can answer an SMS step-up: a cash-out a step-up rule flagged was blocked ("declined by our
    security checks"). The PIN typed on that very confirmation is the proof; the decision records it."""
    from django.db import transaction

    from tenant_apps.cash.models import WithdrawalCode
    from tenant_apps.cash.services import withdrawal_code_cancel
    from tenant_apps.risk.models import RiskDecision, RiskRule
    from tests.risk.helpers import make_rule

    user = customer(phone=ng_phone(), balance_minor=FUNDS)
    rule = make_rule(name="step up cash-out", rule_type="amount_above", flows=["cash_out"], threshold_amount="10.00",
                     action="step_up_otp")
    try:
        done = phone_of(gateway, user).run(CODES["ng"], "8", "2000", PIN)["message"]
    finally:
        with schema_context("ng"):
            RiskRule.objects.filter(pk=rule.pk).delete()
    assert done.startswith("Your code to cash out NGN 2,000.00 was sent by SMS."), done
    with schema_context("ng"):
        [code] = WithdrawalCode.objects.filter(customer=user)
        [decision] = RiskDecision.objects.filter(user=user, flow="cash_out")
    assert (decision.outcome, decision.stepped_up, decision.channel, decision.rule_name) == \
        ("allow", "pin", "ussd", "step up cash-out")
    assert decision.reason.endswith("(confirmed: pin)") and decision.subject_id == str(code.public_id)
    assert len(stack.sms.messages(to=user.phone)) == 1
    with schema_context("ng"), transaction.atomic():  # no active code left behind (cash tests count the expiring)
        withdrawal_code_cancel(customer=user, public_id=code.public_id)
