"""The data and electricity menus, driven in-process (the menu engine over the real VTPass/MTN simulators, in the
test's transaction; no worker: orders stay held). The HTTP and gateway side is test_ussd_channel.py."""

from __future__ import annotations

import re
import uuid

import pytest
from django_tenants.utils import schema_context

from provider_plugins.interfaces.ussd import UssdRequest
from tests.outbound_guard import no_http_in_transaction
from tests.ussd.helpers import PIN, customer, ng_phone

pytestmark = pytest.mark.django_db
CODE = "*384*123#"


class Session:
    def __init__(self, user):
        self.user, self.id, self.inputs = user, f"ATUid_{uuid.uuid4().hex}", []

    def send(self, value: str | None = None) -> str:
        from tenant_apps.ussd.menu import respond

        if value is not None:
            self.inputs.append(value)
        with schema_context("ng"):
            reply = respond(UssdRequest(session_id=self.id, service_code=CODE, phone_number=self.user.phone,
                                        text="*".join(self.inputs)))
        return ("END " if reply.final else "CON ") + reply.text


def option(screen: str, pattern: str) -> str:
    found = re.search(rf"^(\d)\. .*{pattern}", screen, re.M | re.I)
    assert found, screen
    return found.group(1)


def _order(user):
    from tenant_apps.orders.models import Order

    with schema_context("ng"):
        return Order.objects.get(user=user)


def test_data_bundles_by_network_for_another_number(inproc_stack):
    user = customer(phone=ng_phone(), balance_minor=1_000_000)
    session = Session(user)
    session.send()
    networks = session.send("3")
    assert networks.startswith("CON Choose the network")
    bundles = session.send(option(networks, "MTN"))
    assert bundles.startswith("CON Choose a bundle") and "NGN" in bundles
    assert session.send("1").startswith("CON Buy data\n1. My number")
    assert session.send("2") == "CON Enter the phone number\n0. Back"
    recipient = f"0803{uuid.uuid4().int % 10**7:07d}"
    confirm = session.send(recipient)
    assert "You pay" in confirm and confirm.endswith("0. Cancel")
    assert session.send(PIN).startswith("END Paid ")
    order = _order(user)
    assert order.product_type == "data" and order.recipient_phone == "+234" + recipient[1:]
    assert order.status == "held"  # the worker would submit it; the money is on hold
    assert session.send("1") == "END Your session has expired. Dial again."  # after its END: no session


def test_electricity_checks_the_meter_before_asking_the_amount(inproc_stack):
    user = customer(phone=ng_phone(), balance_minor=1_000_000)
    session = Session(user)
    session.send()
    products = session.send("4")
    assert products.startswith("CON Electricity: choose")
    assert session.send(option(products, "ikeja.*prepaid")) == "CON Enter the meter number\n0. Back"
    amount = session.send("1111111111111")
    assert amount.startswith("CON Meter 1111111111111: TESTMETER1"), amount
    confirm = session.send("1000")
    assert "Electricity NGN 1,000.00, meter 1111111111111" in confirm and "You pay" in confirm
    with no_http_in_transaction() as outbound:  # issue 20: the meter was checked above, not again under the lock
        assert session.send(PIN).startswith("END Paid ")
    assert not [call for call in outbound.calls if "merchant-verify" in call]
    order = _order(user)
    assert (order.product_type, order.customer_number, order.customer_name) == \
        ("electricity", "1111111111111", "TESTMETER1")
    unknown = Session(user)
    unknown.send()
    unknown.send("4")
    unknown.send(option(products, "ikeja.*prepaid"))
    assert unknown.send("1234567890000") == "END The biller does not know this meter number."


def test_a_customer_without_a_pin_creates_one_over_ussd():
    from tenant_apps.pins.services import pin_check

    user = customer(phone=ng_phone(), balance_minor=100_000, pin=None)
    first = Session(user)
    assert "7. Create my PIN" in first.send()
    assert first.send("2") == "END Create your PIN first: dial again and choose 7."
    weak = Session(user)
    weak.send()
    assert weak.send("7").startswith("CON Choose a PIN of 4 to 6 digits")
    assert weak.send("1234") == "END This PIN is too easy to guess (repeated or consecutive digits)."
    typo = Session(user)
    for value in ("", "7", PIN):
        typo.send(value or None)
    assert typo.send("4072") == "END The two PINs differ. Nothing was changed."
    created = Session(user)
    for value in ("", "7", PIN):
        created.send(value or None)
    assert created.send(PIN) == "END Your PIN is saved. Never share it."
    with schema_context("ng"):
        assert pin_check(user=user, pin=PIN).ok
    assert "7. Create my PIN" not in Session(user).send()


def test_menus_follow_the_customers_language():
    user = customer(phone=ng_phone(), balance_minor=150_000, language="pt")
    session = Session(user)
    assert session.send().splitlines()[1:4] == ["1. Saldo", "2. Comprar saldo", "3. Comprar internet"]
    assert session.send("1") == "END Saldo: 1 500,00 NGN"


def _sent(screen: str) -> str:
    """The screen as the gateway gets it (GSM-7, cut at USSD['SCREEN_CHARS'])."""
    from provider_plugins.africastalking_ussd.protocol import AfricasTalkingUssd
    from provider_plugins.interfaces.ussd import UssdReply

    final = screen.startswith("END ")
    _status, body, _type = AfricasTalkingUssd().render(UssdReply(screen[4:], final=final), max_chars=160)
    assert len(body) - 4 <= 160
    return body


def test_every_choice_of_a_french_main_menu_is_on_the_screen():
    """A customer without a PIN on a French menu: 161 characters, the gateway's cut took "7. Creer mon code PIN"
    (and the "Invalid choice" screen lost option 7 entirely); the brand is shortened, never an option. With "8.
    Retrait" (and "Changer code PIN" for those with a PIN) the French labels were made shorter to keep the brand."""
    user = customer(phone=ng_phone(), balance_minor=100_000, pin=None, language="fr")
    session = Session(user)
    first = _sent(session.send())
    assert first.startswith("CON NexusTop Nigeria\n1. Solde") and not first.endswith("...")
    assert first.endswith("\n6. Historique\n7. Créer code PIN\n8. Retrait")
    invalid = _sent(session.send("9"))
    assert invalid.startswith("CON Choix invalide.\n1. Solde") and invalid.endswith("\n7. Créer code PIN\n8. Retrait")
    assert session.send("7").startswith("CON Choisissez un code PIN")
    with_pin = _sent(Session(customer(phone=ng_phone(), language="fr")).send())
    assert with_pin.startswith("CON NexusTop Nigeria\n1. Solde")
    assert with_pin.endswith("\n7. Changer code PIN\n8. Retrait")


def test_a_long_bundle_list_keeps_more_and_back_and_every_bundle_can_be_bought(inproc_stack):
    """Five French bundle names took 215 characters: the gateway cut the fifth, "9. Suite" and "0. Retour", so
    the bundles of the next pages could not be reached. Pages hold what fits, each with More and Back."""
    from django.utils import translation

    from provider_plugins.interfaces.ussd import gsm7
    from tenant_apps.portal.shop import offers_for

    user = customer(phone=ng_phone(), balance_minor=1_000_000, language="fr")
    with schema_context("ng"), translation.override("fr"):
        expected = [gsm7(o.name) for o in offers_for(product_type="data", network="mtn")
                    if o.price_minor is not None and not o.gift]
    session = Session(user)
    session.send()
    networks = session.send("3")
    screen = _sent(session.send(option(networks, "MTN")))
    seen: list[str] = []
    while True:
        assert screen.startswith("CON Choisissez un forfait\n") and screen.endswith("\n0. Retour"), screen
        assert "..." not in screen
        seen += re.findall(r"^[1-5]\. (.*) NGN$", screen, re.M)  # "<name> <price in French> NGN"
        if not screen.endswith("\n9. Suite\n0. Retour"):
            break
        screen = _sent(session.send("9"))
    assert len(seen) == len(expected) > 5
    for line, name in zip(seen, expected, strict=True):  # the price as a French reader writes it: "2 500,00"
        assert line.startswith(name + " ") and re.fullmatch(r"[1-9][0-9]{0,2}(?: [0-9]{3})*,[0-9]{2}",
                                                             line[len(name) + 1:]), (line, name)
    assert session.send("1").startswith("CON Acheter de l'internet\n1. Mon numéro")  # the last page's first
    assert "Vous payez" in session.send("1")
    assert session.send(PIN).startswith("END ")
    last_page_first = expected[-len(re.findall(r"^[1-5]\. ", screen, re.M))]
    with translation.override("fr"):
        assert gsm7(_order(user).product_name) == last_page_first


def _wallet(user) -> int:
    from tenant_apps.ledger.services import wallet_for

    with schema_context("ng"):
        return wallet_for(user=user).balance or 0


def test_a_transfer_from_ngn_10000_shows_the_stamp_duty_before_the_pin():
    """Nigeria's stamp duty (NGN 50 from NGN 10,000) left the wallet with no word of it on the confirmation."""
    from tests.tax.test_tax_flows import tier2

    sender, receiver = customer(phone=ng_phone(), balance_minor=2_000_000), customer(phone=ng_phone())
    tier2(sender)
    tier2(receiver)
    session = Session(sender)
    for value in ("", "5", receiver.phone):
        session.send(value or None)
    confirm = session.send("10000")
    assert confirm == ("CON Send NGN 10,000.00 to " + "0" + receiver.phone[4:] + "\nYou pay NGN 10,050.00\n"
                       "Enter your PIN to confirm\n0. Cancel"), confirm
    assert session.send(PIN).endswith("Balance: NGN 9,950.00")
    assert (_wallet(sender), _wallet(receiver)) == (2_000_000 - 1_005_000, 1_000_000)
    small = Session(sender)
    for value in ("", "5", receiver.phone):
        small.send(value or None)
    assert "You pay" not in small.send("9999")  # below the duty: the amount is what leaves


def test_a_transfer_held_by_a_risk_rule_is_not_told_as_sent():
    """A risk rule's hold answered "Sent NGN 1,500.00 to ..." while nothing had reached the recipient."""
    from tests.risk.helpers import make_rule

    sender, receiver = customer(phone=ng_phone(), balance_minor=500_000), customer(phone=ng_phone())
    make_rule(name="hold p2p", rule_type="amount_above", flows=["p2p"], threshold_amount="1000.00", action="hold")
    session = Session(sender)
    for value in ("", "5", receiver.phone, "1500"):
        session.send(value or None)
    done = session.send(PIN)
    assert done.startswith("END Your transfer of NGN 1,500.00 to 0") and "is on hold for a check. Ref " in done, done
    assert (_wallet(sender), _wallet(receiver)) == (350_000, 0)  # on hold at the sender, nothing received
    history = Session(sender)
    history.send()
    assert "-NGN 1,500.00 Sent" in history.send("6")  # not "Other"


def test_zero_goes_back_from_every_screen_that_asks_a_number(inproc_stack):
    """docs/ussd.md: "0 goes back". On the screens asking a phone number, an amount or a meter number it ended the
    session instead ("This phone number is not valid.", "This amount is not accepted ..."); nothing moves."""
    user = customer(phone=ng_phone(), balance_minor=1_000_000)
    receiver = customer(phone=ng_phone())
    paths = {"send_number": ["5"], "send_amount": ["5", receiver.phone], "airtime_number": ["2", "2"],
             "airtime_amount": ["2", "1"], "bill_meter": ["4", "1"], "bill_amount": ["4", "1", "1111111111111"]}
    for name, inputs in paths.items():
        for back in ("0", "00"):
            session = Session(user)
            session.send()
            for value in inputs:
                asked = session.send(value)
            assert asked.startswith("CON ") and asked.endswith("\n0. Back"), (name, asked)
            menu = session.send(back)
            assert menu.startswith("CON NexusTop Nigeria\n1. Balance"), (name, back, menu)
            assert session.send("1") == "END Balance: NGN 10,000.00", name  # the menu works on from there
    data = Session(user)
    for value in ("", "3", "2", "1", "2"):
        data.send(value or None)
    assert data.send("0").startswith("CON NexusTop Nigeria")
    assert _wallet(user) == 1_000_000 and _wallet(receiver) == 0


def test_what_cannot_be_a_pin_is_asked_again_not_counted_as_a_wrong_pin():
    """"00" (home on many menus) or an amount typed again on the PIN screen counted as wrong PINs: three such slips
    locked the PIN. Only 4-6 digits are tried; "00" cancels like "0"."""
    from tenant_apps.pins.models import TransactionPin

    sender, receiver = customer(phone=ng_phone(), balance_minor=500_000), customer(phone=ng_phone())

    def at_confirm() -> Session:
        session = Session(sender)
        for value in ("", "5", receiver.phone, "100"):
            session.send(value or None)
        return session

    assert at_confirm().send("00") == "END Cancelled. Nothing was charged."
    session = at_confirm()
    for slip in ("100", "1*2", "12345678"):
        again = session.send(slip)
        assert again.startswith("CON Use 4 to 6 digits.\nSend NGN 100.00 to ") and again.endswith("0. Cancel"), again
    with schema_context("ng"):
        assert TransactionPin.objects.get(user=sender).failed_attempts == 0
    assert session.send(PIN).startswith("END Sent NGN 100.00")
    assert (_wallet(sender), _wallet(receiver)) == (490_000, 10_000)


def test_a_payment_a_risk_rule_declines_says_so():
    """A block rule's refusal was "This could not be done. Nothing was charged.": the customer retried for ever."""
    from tests.risk.helpers import make_rule

    sender, receiver = customer(phone=ng_phone(), balance_minor=500_000, language="fr"), customer(phone=ng_phone())
    make_rule(name="block p2p", rule_type="amount_above", flows=["p2p"], threshold_amount="1000.00", action="block")
    session = Session(sender)
    for value in ("", "5", receiver.phone, "1500"):
        session.send(value or None)
    assert session.send(PIN) == ("END Ce paiement a été refusé par nos contrôles de sécurité. Contactez le support "
                                 "si vous pensez qu’il s’agit d’une erreur.")
    assert (_wallet(sender), _wallet(receiver)) == (500_000, 0)


def test_a_code_dialled_with_inputs_answers_them_up_to_the_pin():
    """Africa's Talking passes *384*123*1# as a first request with text "1": it was answered "Your session has
    expired. Dial again." The inputs are answered in turn; a PIN in the dialled code (the phone's call log) is
    never read: the PIN screen is shown and the PIN typed."""
    from tenant_apps.pins.models import TransactionPin

    sender, receiver = customer(phone=ng_phone(), balance_minor=500_000), customer(phone=ng_phone())
    assert Session(sender).send("1") == "END Balance: NGN 5,000.00"
    assert Session(sender).send("3").startswith("CON Choose the network\n1. ")
    dialled = Session(sender)
    confirm = dialled.send(f"5*{receiver.phone}*100*{PIN}")
    assert confirm.startswith("CON Send NGN 100.00 to ") and confirm.endswith("Enter your PIN to confirm\n0. Cancel")
    with schema_context("ng"):
        assert TransactionPin.objects.get(user=sender).failed_attempts == 0
    assert (_wallet(sender), _wallet(receiver)) == (500_000, 0)
    assert dialled.send(PIN).startswith("END Sent NGN 100.00")
    assert (_wallet(sender), _wallet(receiver)) == (490_000, 10_000)
    assert Session(sender).send("9").startswith("CON Invalid choice.\n")


def test_a_typo_on_a_choice_screen_shows_the_choices_again(inproc_stack):
    """A choice that is not on the screen (networks, bundles, "my number or another", electricity products)
    ended the session ("END Invalid choice."): the customer dialled again from the start. The screen comes back
    with "Invalid choice." and the session goes on to the purchase."""
    user = customer(phone=ng_phone(), balance_minor=1_000_000)
    session = Session(user)
    session.send()
    networks = session.send("3")
    again = session.send("7")
    assert again == "CON Invalid choice.\n" + networks[4:], again
    bundles = session.send(option(networks, "MTN"))
    assert session.send("8").startswith("CON Invalid choice.\nChoose a bundle\n1. ")
    assert session.send("1").startswith("CON Buy data\n1. My number")
    assert session.send("5").startswith("CON Invalid choice.\nBuy data\n1. My number")
    assert "You pay" in session.send("1") and session.send(PIN).startswith("END Paid ")
    assert _order(user).product_type == "data" and bundles.startswith("CON Choose a bundle")
    bills = Session(user)
    bills.send()
    products = bills.send("4")
    assert bills.send("6") == "CON Invalid choice.\n" + products[4:]
    assert bills.send(option(products, "ikeja.*prepaid")).startswith("CON Enter the meter number")


@pytest.mark.parametrize(("phone", "shown"), [("+2348031234567", "08031234567"), ("+221771234567", "771234567"),
                                              ("+23225124290", "025124290"), ("+2250123456789", "0123456789"),
                                              ("+2389918271", "9918271")])
def test_numbers_are_shown_as_digits_a_keypad_can_type_back(phone, shown):
    """Sierra Leone's national form is "(025) 124290": screens showed "(025)124290"."""
    from tenant_apps.ussd.menu import _local

    assert _local(phone) == shown


def _pin_row(user):
    from tenant_apps.pins.models import TransactionPin

    with schema_context("ng"):
        return TransactionPin.objects.get(user=user)


def test_changing_the_pin_refuses_slips_weak_and_same_pins_and_a_stale_change():
    """The change over USSD (tests/ussd/test_ussd_channel.py runs it through the gateway): what cannot be a PIN is
    asked again and never counted; a new PIN follows the rules of a first one and must differ from the current
    one; a change whose PIN changed meanwhile (on the web) stores nothing; three wrong current PINs lock it."""
    from tenant_apps.pins.services import pin_change, pin_check

    user = customer(phone=ng_phone(), balance_minor=100_000)
    slip = Session(user)
    slip.send()
    slip.send("7")
    assert slip.send("12") == ("CON Use 4 to 6 digits.\nChange my PIN\nEnter your current PIN\n9. Forgot my PIN\n"
                               "0. Cancel")
    assert slip.send("00") == "END Cancelled. Nothing was changed."
    assert _pin_row(user).failed_attempts == 0
    same = Session(user)
    for value in ("", "7", PIN, PIN):
        same.send(value or None)
    assert same.send(PIN) == "END Choose a PIN different from the current one."
    mismatch = Session(user)
    for value in ("", "7", PIN, "5082"):
        mismatch.send(value or None)
    assert mismatch.send("5083") == "END The two PINs differ. Nothing was changed."
    stale = Session(user)
    for value in ("", "7", PIN, "5082"):
        stale.send(value or None)
    with schema_context("ng"):
        pin_change(user=user, current_pin=PIN, new_pin="6193")  # meanwhile, on the web
    assert stale.send("5082") == "END Your PIN was not changed: the session took too long. Dial again."
    with schema_context("ng"):
        assert pin_check(user=user, pin="6193").ok
    for left, wrong in ((2, "9153"), (1, "8642")):
        assert Session(user).send(f"7*{wrong}") == \
            "CON Change my PIN\nEnter your current PIN\n9. Forgot my PIN\n0. Cancel"  # dialled: the PIN is asked
        locking = Session(user)
        for value in ("", "7"):
            locking.send(value or None)
        assert locking.send(wrong) == f"END Wrong PIN. {left} attempt(s) left."
    last = Session(user)
    for value in ("", "7"):
        last.send(value or None)
    assert last.send("7315").startswith("END Your PIN is locked")
    assert Session(user).send("2").startswith("END Your PIN is locked. To reset it, dial again and choose 7.")
    assert _pin_row(user).locked_at is not None


def test_cash_out_is_the_customers_and_its_refusals_are_told(inproc_stack):
    """Agents pay cash out, they take no withdrawal code: no option 8 for them. A customer's amount the wallet
    cannot cover is refused on the confirmation, nothing held (the code itself: test_ussd_channel.py)."""
    from django.utils import timezone

    from tenant_apps.accounts.models import User
    from tenant_apps.cash.models import WithdrawalCode
    from tenant_apps.pins.services import pin_set

    with schema_context("ng"):
        agent = User.objects.create_user(email=f"agent-{uuid.uuid4().hex[:8]}@example.test", role="agent",
                                         phone=ng_phone(), phone_verified_at=timezone.now())
        pin_set(user=agent, pin=PIN)
    menu = Session(agent)
    assert menu.send().endswith("\n7. Change my PIN")
    assert menu.send("8").startswith("CON Invalid choice.\n")
    user = customer(phone=ng_phone(), balance_minor=100_000, language="pt")
    poor = Session(user)
    for value in ("", "8"):
        poor.send(value or None)
    confirm = _sent(poor.send("1000"))
    assert confirm == ("CON Levantamento de 1 000,00 NGN num agente\nTaxa: 10,00 NGN\nVai pagar 1 010,00 NGN\n"
                       "Introduza o PIN para confirmar\n0. Cancelar"), confirm
    assert poor.send(PIN) == "END O seu saldo é insuficiente."
    with schema_context("ng"):
        assert not WithdrawalCode.objects.filter(customer=user).exists()
    assert _wallet(user) == 100_000


def test_the_pin_stands_for_a_step_up_on_ussd_only_and_for_its_own_user():
    """risk.gate.step_up_proven: the PIN of a USSD confirmation passes a step-up rule (the decision says "pin");
    the same proof in a web or API request, or for another user's movement, does not."""
    from tenant_apps.ledger.currency import tenant_currency
    from tenant_apps.risk.errors import StepUpRequired
    from tenant_apps.risk.gate import MoneyMove, screen, step_up_proven
    from tenant_apps.risk.models import RiskDecision
    from tenant_apps.risk.request_signals import RequestSignals, reset_signals, set_signals
    from tests.risk.helpers import make_rule

    sender, receiver = customer(phone=ng_phone(), balance_minor=500_000), customer(phone=ng_phone())
    other = customer(phone=ng_phone(), balance_minor=500_000)
    make_rule(name="step up p2p", rule_type="amount_above", flows=["p2p"], threshold_amount="1000.00",
              action="step_up_pin")
    token = set_signals(RequestSignals(channel="ussd", device_hash="a" * 32, user_agent="USSD"))
    try:
        session = Session(sender)
        for value in ("", "5", receiver.phone, "1500"):
            session.send(value or None)
        assert session.send(PIN).startswith("END Sent NGN 1,500.00")  # was held for a review
        with schema_context("ng"):
            assert RiskDecision.objects.get(user=sender).stepped_up == "pin"
            with step_up_proven(user=sender, proof="pin"):  # another user's: no one to confirm, held as before
                held = screen(MoneyMove(flow="p2p", user=other, amount_minor=150_000, currency=tenant_currency().code,
                                        reference=f"test:{uuid.uuid4().hex}", recipient=receiver.phone))
            assert held.held and held.stepped_up == ""
    finally:
        reset_signals(token)
    token = set_signals(RequestSignals(channel="api", device_hash="b" * 32))
    try:
        with schema_context("ng"), step_up_proven(user=sender, proof="pin"), pytest.raises(StepUpRequired):
            screen(MoneyMove(flow="p2p", user=sender, amount_minor=150_000, currency=tenant_currency().code,
                             reference=f"test:{uuid.uuid4().hex}", recipient=receiver.phone))
    finally:
        reset_signals(token)
    assert (_wallet(sender), _wallet(receiver)) == (350_000, 150_000)


def test_an_airtime_amount_out_of_range_says_the_range(inproc_stack):
    """It ended with "This amount is not accepted for this product." and no hint of what is."""
    user = customer(phone=ng_phone(), balance_minor=1_000_000)
    session = Session(user)
    session.send()
    asked = session.send("2")
    asked = session.send("1")  # my number
    found = re.search(r"Enter the amount \((NGN [0-9,.]+) to (NGN [0-9,.]+)\)", asked)
    assert found, asked
    refused = session.send("99999999")
    assert refused == (f"END This amount is not accepted for this product.\nFrom {found.group(1)} to "
                       f"{found.group(2)}."), refused
