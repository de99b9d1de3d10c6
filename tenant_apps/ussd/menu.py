"""The USSD menus: one screen per gateway request, in the customer's language, over the API's own services.

``respond(request)`` takes the gateway's parsed request (tenant_apps.ussd.views) and returns the next screen.
The session's place is in Redis (``sessions``); each request brings the whole text typed so far, and only
what was typed since the last screen is read (``state.new_input``: the state keeps a keyed digest of the text
already handled, never the text, which holds what was typed on PIN and code screens).

Money moves (airtime, data, bills, P2P, a cash-out's withdrawal code) end on the confirmation screen, which
asks the transaction PIN and runs the SAME service as the API (``orders.services.purchase_create``,
``wallet.transfers.p2p_transfer``, ``cash.services.withdrawal_code_create``) through
``idempotency.services.run_idempotently`` with a key made of the session id and the step, on the "ussd" channel
of the PIN gate (``pins.gate``: the PIN is checked, counted and required for every debit); that PIN is also the
proof of a risk step-up (``risk.gate.step_up_proven``). A gateway repeating or resending that request gets the
stored outcome: nothing is bought twice. The PIN screens are ``pin_menu``, the cash-out's ``cash_menu``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _

from provider_plugins.interfaces.ussd import UssdReply, UssdRequest
from shared_apps.core.amounts import parse_amount
from shared_apps.core.errors import ApiError
from tenant_apps.accounts.country import current_adapter
from tenant_apps.idempotency.errors import IdempotencyInFlight, IdempotencyKeyReused
from tenant_apps.idempotency.services import Fingerprint, StoredResponse, body_hash, run_idempotently
from tenant_apps.ledger.currency import tenant_currency
from tenant_apps.ledger.entry_types import entry_type_label
from tenant_apps.notifications.messages import current_brand, message_language
from tenant_apps.pins import gate
from tenant_apps.pins.errors import InvalidTransactionPin, TransactionPinLocked, TransactionPinNotSet
from tenant_apps.pins.services import pin_status
from tenant_apps.pricing.quotes import amount_range_text
from tenant_apps.risk.gate import step_up_proven

from . import cash_menu, pin_menu, sessions
from .screens import MAIN_MENU, REFUSALS, Screen, digits_hint, pin_shaped
from .screens import ask as _ask
from .screens import con as _con
from .screens import end as _end
from .screens import fit as _fit
from .screens import menu_text as _menu
from .screens import money as _money
from .screens import refusal as _refusal
from .screens import screen_chars as _screen_chars
from .screens import shorten as _shorten
from .screens import width as _width
from .sessions import SessionState

logger = logging.getLogger(__name__)

CUSTOMER_ROLES = frozenset({"customer", "agent"})
PAGE_SIZE = 5  # at most; fewer when their names would not fit on the screen
MORE, BACK, CANCEL = "9", "0", "0"
DIGITS = re.compile(r"^[0-9]{1,20}$")
IDEMPOTENCY_PATH = "/ussd/africastalking"  # the money step's fingerprint path (one per channel)

# --- who is calling -------------------------------------------------------------------------------

def registered_user(phone: str):
    """The active, phone-verified customer or agent of this tenant with this number, or None."""
    try:
        normalized = current_adapter().normalize_phone(phone)
    except Exception:  # a foreign or malformed number: nobody here
        return None
    user = get_user_model().objects.filter(phone=normalized, is_active=True).first()
    if user is None or user.phone_verified_at is None or user.role not in CUSTOMER_ROLES:
        return None
    return user


# --- the screens --------------------------------------------------------------------------------

def _main(state: SessionState, user, notice: str = "") -> Screen:
    brand = current_brand().name
    options = [_("Balance"), _("Buy airtime"), _("Buy data"), _("Pay a bill"), _("Send money"),
               _("Last transactions")]
    state.data["pin_set"] = pin_status(user=user)["is_set"]
    options.append(_("Change my PIN") if state.data["pin_set"] else _("Create my PIN"))
    if user.role == "customer":  # withdrawal codes are the customers' (an agent pays cash out, it takes none)
        options.append(_("Cash out"))
    text = _menu(f"{notice}\n{brand}" if notice else brand, options, back=False)
    if notice and not text.startswith(f"{notice}\n{brand}\n"):  # no room for both: the notice, not the brand
        text = _menu(notice, options, back=False)
    return _con(state, "main", text)


def _needs_pin(state: SessionState, user) -> Screen | None:
    status = pin_status(user=user)
    if status["locked"]:
        return _end(_(pin_menu.LOCKED))
    if not status["is_set"]:
        return _end(_("Create your PIN first: dial again and choose 7."))
    return None


def on_main(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    if value == "1":
        from tenant_apps.ledger.selectors import wallet_balances

        currency = tenant_currency().code
        balances = [b for b in wallet_balances(user=user) if b.wallet.currency == currency]
        available = sum(b.available for b in balances)
        held = sum(b.on_hold for b in balances)
        text = _("Balance: %(amount)s") % {"amount": _money(available)}
        if held:
            text += "\n" + _("Pending: %(amount)s") % {"amount": _money(held)}
        return _end(text)
    # 7 with a PIN: the change, or the reset once locked (pin_menu.start_change); never refused here
    if value in ("2", "3", "4", "5") or (value == "8" and user.role == "customer"):
        refused = _needs_pin(state, user)
        if refused is not None:
            return refused
    if value == "2":
        return _con(state, "airtime_who", _menu(_("Buy airtime"), [_("My number"), _("Another number")]))
    if value == "3":
        networks = _data_networks()
        if not networks:
            return _end(_("No data bundles are on sale right now."))
        state.data["networks"] = [key for key, _name in networks]
        return _con(state, "data_network", _menu(_("Choose the network"), [name for _key, name in networks]))
    if value == "4":
        offers = _offers("electricity", None)
        if not offers:
            return _end(_("No bills can be paid here right now."))
        state.data["list"], state.data["start"] = [o.id for o in offers], 0
        return _list_screen(state, "bill_product", _("Electricity: choose"), {o.id: o.name for o in offers})
    if value == "5":
        return _ask(state, "send_number", _("Send money") + "\n" + _("Enter the recipient's phone number"))
    if value == "6":
        return _end(_history(user))
    if value == "7":
        return pin_menu.start_change(state, user) if state.data.get("pin_set") else pin_menu.start_create(state)
    if value == "8" and user.role == "customer":
        return cash_menu.start(state, user)
    return _invalid_choice(state, user)


def _invalid_choice(state: SessionState, user) -> Screen:
    return _main(state, user, notice=_("Invalid choice."))


def _back(state: SessionState, user) -> Screen:
    state.data = {}
    return _main(state, user)


# airtime
def on_airtime_who(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    if value == BACK:
        return _back(state, user)
    if value == "1":
        return _airtime_for(state, user.phone)
    if value == "2":
        return _ask(state, "airtime_number", _("Enter the phone number"))
    return _con(state, "airtime_who", _menu(_("Invalid choice.") + "\n" + _("Buy airtime"),
                                            [_("My number"), _("Another number")]))


def _recipient(value: str) -> tuple[str, str | None, str] | None:
    """(E.164, network key, network name) of a typed number of this country, or None."""
    adapter = current_adapter()
    try:
        phone = adapter.normalize_phone(value)
    except Exception:
        return None
    network = adapter.detect_network(phone)
    return phone, network, (adapter.network_name(network) or network or "") if network else ""


def _airtime_for(state: SessionState, raw_phone: str) -> Screen:
    found = _recipient(raw_phone)
    if found is None:
        return _end(_("This phone number is not valid."))
    phone, network, network_name = found
    offers = [o for o in _offers("airtime", network) if o.min_minor is not None]
    if not network or not offers:
        return _end(_("Airtime for this number is not sold here."))
    offer = offers[0]
    state.data.update({"product": offer.id, "recipient": phone, "network": network_name,
                       "min": offer.min_minor, "max": offer.max_minor})
    return _ask(state, "airtime_amount", _("Airtime for %(phone)s (%(network)s)") % {
        "phone": _local(phone), "network": network_name} + "\n" + _("Enter the amount (%(low)s to %(high)s)") % {
        "low": _money(offer.min_minor), "high": _money(offer.max_minor)})


def _in_range(state: SessionState, amount: int) -> bool:
    high = state.data.get("max")
    return state.data["min"] <= amount and (high is None or amount <= high)


def _out_of_range(state: SessionState) -> Screen:
    """The refusal says what the product takes (pricing's words, in the phone's money format)."""
    accepted = amount_range_text(low=state.data["min"], high=state.data.get("max"), currency=tenant_currency().code,
                                 phone=True)
    return _end(_("This amount is not accepted for this product.") + "\n" + accepted)


def on_airtime_number(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    return _airtime_for(state, value)


def on_airtime_amount(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    amount = _amount(value)
    if amount is None or not _in_range(state, amount):
        return _out_of_range(state)
    return _confirm(state, user, {"kind": "airtime", "product": state.data["product"],
                                  "recipient": state.data["recipient"], "amount": amount},
                    _("Airtime %(amount)s for %(phone)s") % {"amount": _money(amount),
                                                             "phone": _local(state.data["recipient"])})


# data
def _data_networks() -> list[tuple[str, str]]:
    adapter = current_adapter()
    seen: list[str] = []
    for offer in _offers("data", None):
        if offer.network and not offer.gift and offer.network not in seen:
            seen.append(offer.network)
    return [(key, _short(adapter.network_name(key) or key)) for key in seen]


def _short(name: str) -> str:
    return name.split(" (")[0]


def on_data_network(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    if value == BACK:
        return _back(state, user)
    networks = state.data.get("networks", [])
    index = _index(value, len(networks))
    if index is None:  # a typo: the same choice again, the session goes on
        names = dict(_data_networks())
        return _con(state, "data_network", _menu(_("Invalid choice.") + "\n" + _("Choose the network"),
                                                 [names.get(key, key) for key in networks]))
    offers = [o for o in _offers("data", networks[index]) if o.price_minor is not None and not o.gift]
    if not offers:
        return _end(_("No data bundles are on sale right now."))
    state.data.update({"network_key": networks[index], "list": [o.id for o in offers], "start": 0})
    return _list_screen(state, "data_bundle", _("Choose a bundle"),
                        {o.id: f"{o.name} {_money(o.price_minor)}" for o in offers})


def on_data_bundle(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    if value == BACK:
        return _back(state, user)
    chosen = _pick(state, value)
    if chosen is None or chosen == INVALID:
        offers = {o.id: f"{o.name} {_money(o.price_minor)}" for o in _offers("data", state.data["network_key"])}
        return _list_screen(state, "data_bundle", _notice(chosen) + _("Choose a bundle"), offers)
    state.data["product"] = chosen
    return _con(state, "data_who", _menu(_("Buy data"), [_("My number"), _("Another number")]))


def _data_for(state: SessionState, raw_phone: str, user) -> Screen:
    found = _recipient(raw_phone)
    if found is None:
        return _end(_("This phone number is not valid."))
    phone, network, _name = found
    if network != state.data["network_key"]:
        return _end(_("This number is on another network."))
    offer = next((o for o in _offers("data", network) if o.id == state.data["product"]), None)
    if offer is None:
        return _end(_("This product is no longer sold."))
    return _confirm(state, user, {"kind": "data", "product": offer.id, "recipient": phone},
                    _("%(bundle)s for %(phone)s") % {"bundle": offer.name, "phone": _local(phone)})


def on_data_who(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    if value == BACK:
        return _back(state, user)
    if value == "1":
        return _data_for(state, user.phone, user)
    if value == "2":
        return _ask(state, "data_number", _("Enter the phone number"))
    return _con(state, "data_who", _menu(_("Invalid choice.") + "\n" + _("Buy data"),
                                         [_("My number"), _("Another number")]))


def on_data_number(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    return _data_for(state, value, user)


# bills (electricity: the meter is checked with the biller before any money moves)
def on_bill_product(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    if value == BACK:
        return _back(state, user)
    chosen = _pick(state, value)
    if chosen is None or chosen == INVALID:
        return _list_screen(state, "bill_product", _notice(chosen) + _("Electricity: choose"),
                            {o.id: o.name for o in _offers("electricity", None)})
    state.data["product"] = chosen
    return _ask(state, "bill_meter", _("Enter the meter number"))


def on_bill_meter(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    from tenant_apps.orders.services.create import purchase_verify

    if not DIGITS.match(value):
        return _end(_("The biller does not know this meter number."))
    try:
        check = purchase_verify(product_id=state.data["product"], customer_number=value)
    except ApiError as error:
        return _refusal(error)
    offer = next((o for o in _offers("electricity", None) if o.id == state.data["product"]), None)
    low = max(check.minimum_amount_minor or 0, (offer.min_minor if offer else 0) or 0)
    state.data.update({"meter": check.customer_number, "meter_name": check.name[:40], "meter_owner": check.name,
                       "min": low,
                       "max": offer.max_minor if offer else None})
    return _ask(state, "bill_amount", _("Meter %(meter)s: %(name)s") % {"meter": check.customer_number,
                                                                         "name": check.name[:40]}
                + "\n" + _("Enter the amount (from %(low)s)") % {"low": _money(low)})


def on_bill_amount(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    amount = _amount(value)
    if amount is None or not _in_range(state, amount):
        return _out_of_range(state)
    return _confirm(state, user, {"kind": "bill", "product": state.data["product"], "recipient": user.phone,
                                  "meter": state.data["meter"], "amount": amount,
                                  # the biller's answer above: no second check inside the money transaction
                                  "verified_name": state.data.get("meter_owner")},
                    _("Electricity %(amount)s, meter %(meter)s") % {"amount": _money(amount),
                                                                    "meter": state.data["meter"]})


# P2P
def on_send_number(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    found = _recipient(value)
    if found is None:
        return _end(_("This phone number is not valid."))
    phone = found[0]
    if phone == user.phone:
        return _end(_(REFUSALS["self_transfer"]))
    state.data["recipient"] = phone
    return _ask(state, "send_amount", _("To %(phone)s") % {"phone": _local(phone)} + "\n"
                + _("Enter the amount"))


def on_send_amount(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    amount = _amount(value)
    if amount is None:
        return _end(_("This amount is not valid."))
    return _confirm(state, user, {"kind": "p2p", "recipient": state.data["recipient"], "amount": amount},
                    _("Send %(amount)s to %(phone)s") % {"amount": _money(amount),
                                                         "phone": _local(state.data["recipient"])})


# cash-out: a withdrawal code, sent by SMS (cash_menu)
def on_cashout_amount(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    amount = _amount(value)
    if amount is None:  # asked again: a slip ends nothing
        return _ask(state, "cashout_amount", _("This amount is not valid.") + "\n" + _("Enter the amount"))
    return _confirm(state, user, {"kind": "cashout", "amount": amount},
                    _("Cash out %(amount)s at an agent") % {"amount": _money(amount)})


# the money step
def _confirm(state: SessionState, user, action: dict[str, Any], summary: str) -> Screen:
    lines = [summary]
    if action["kind"] == "cashout":
        lines += cash_menu.confirmation_lines(action["amount"])
    elif action["kind"] != "p2p":
        from shared_apps.catalog.models import Product
        from tenant_apps.pricing.quotes import quote_price

        product = Product.objects.select_related("provider").filter(pk=action["product"], is_active=True).first()
        if product is None:
            return _end(_(REFUSALS["product_not_found"]))
        try:
            quote = quote_price(product=product, amount_minor=action.get("amount"), buyer=user)
        except ApiError as error:
            return _refusal(error)
        lines.append(_("You pay %(price)s") % {"price": _money(quote.price_minor, quote.currency)})
    else:
        from tenant_apps.wallet.transfers import transfer_taxes

        levies = transfer_taxes(amount_minor=action["amount"])["tax_minor"]  # what p2p_transfer will add
        if levies:  # Nigeria's stamp duty from NGN 10,000: the customer sees what leaves the wallet
            lines.append(_("You pay %(price)s") % {"price": _money(action["amount"] + levies)})
    lines.append(_("Enter your PIN to confirm"))
    lines.append(f"{CANCEL}. " + _("Cancel"))
    # the price, the PIN question and the way out are always shown; a long product name is shortened
    state.data["action"], state.data["screen"] = action, _fit(lines[0], lines[1:])
    return _con(state, "confirm", state.data["screen"])


def on_confirm(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    if value in (CANCEL, CANCEL + CANCEL):
        return _end(_("Cancelled. Nothing was charged."))
    if not value:  # nothing typed: the same question again (nothing is counted)
        return _con(state, "confirm", state.data["screen"])
    if not pin_shaped(value):
        # cannot be a PIN (an amount typed again, a menu key): asked again, not counted as a wrong PIN
        lines = state.data["screen"].split("\n")
        return _con(state, "confirm", _fit(digits_hint() + "\n" + lines[0], lines[1:]))
    action = state.data["action"]
    fingerprint = Fingerprint(method="POST", path=IDEMPOTENCY_PATH, body_hash=body_hash(action))

    def execute() -> StoredResponse:
        # run_idempotently runs this only once pins.gate.authorise has verified the PIN presented below for
        # ``user``: on USSD that PIN, typed on this very confirmation, is the proof a risk step-up asks
        # (risk.gate.step_up_proven; the customer has no other screen to answer a challenge on).
        with step_up_proven(user=user, proof="pin"):
            return StoredResponse(201, _move_money(user, action), {})

    # this dial of the session id (state.started): a session id the gateway uses again later is a new payment
    key = f"ussd:{request.session_id}:{state.started}:confirm" if state.started else \
        f"ussd:{request.session_id}:confirm"
    try:
        with gate.presenting(value):
            stored, _replayed = run_idempotently(user=user, key=key, fingerprint=fingerprint, execute=execute,
                                                 channel=gate.USSD)
    except InvalidTransactionPin as error:
        return _end(_("Wrong PIN. %(left)s attempt(s) left.") % {"left": error.attempts_left})
    except TransactionPinLocked:
        return _end(_(pin_menu.LOCKED))
    except TransactionPinNotSet:
        return _end(_("Create your PIN first: dial again and choose 7."))
    except IdempotencyInFlight:
        return _end(_("Your request is being processed. You will receive an SMS."))
    except IdempotencyKeyReused:
        return _end(_("This session already made a payment. Dial again for another one."))
    except ApiError as error:
        return _refusal(error)
    return _end(_done(stored.body))


def _move_money(user, action: dict[str, Any]) -> dict[str, Any]:
    """The same services as the API; what is stored to answer a repeat of this request."""
    if action["kind"] == "cashout":
        return cash_menu.withdraw(user, action["amount"])
    if action["kind"] == "p2p":
        from tenant_apps.ledger.services import wallet_for
        from tenant_apps.wallet.transfers import p2p_transfer

        row = p2p_transfer(sender=user, recipient=action["recipient"], amount_minor=action["amount"])
        return {"kind": "p2p", "status": row.status, "amount": row.amount_minor, "currency": row.currency,
                "recipient": action["recipient"], "reference": row.reference[-8:].upper(),
                "balance": wallet_for(user=user, currency=row.currency).balance}
    from tenant_apps.orders.services.create import purchase_create

    order = purchase_create(user=user, product_id=action["product"], recipient_phone=action["recipient"],
                            amount_minor=action.get("amount"), customer_number=action.get("meter", ""),
                            source="ussd", verified_name=action.get("verified_name"))
    return {"kind": action["kind"], "price": order.price_minor, "currency": order.currency,
            "recipient": order.recipient_phone, "product": order.product_name,
            "reference": order.public_id.hex[:8].upper()}


def _done(body: dict[str, Any]) -> str:
    if body["kind"] == "cashout":
        return cash_menu.done(body)
    if body["kind"] == "p2p" and body.get("status") == "held":  # a risk rule holds it until an operator looks
        return _("Your transfer of %(amount)s to %(phone)s is on hold for a check. Ref %(ref)s.") % {
            "amount": _money(body["amount"], body["currency"]), "phone": _local(body["recipient"]),
            "ref": body["reference"]}
    if body["kind"] == "p2p":
        return _("Sent %(amount)s to %(phone)s. Ref %(ref)s. Balance: %(balance)s") % {
            "amount": _money(body["amount"], body["currency"]), "phone": _local(body["recipient"]),
            "ref": body["reference"], "balance": _money(body["balance"], body["currency"])}
    return _("Paid %(price)s. Ref %(ref)s. %(product)s for %(phone)s is on its way: you will receive an SMS.") % {
        "price": _money(body["price"], body["currency"]), "ref": body["reference"], "product": body["product"],
        "phone": _local(body["recipient"])}


# --- small helpers ----------------------------------------------------------------------------------

def _offers(product_type: str, network: str | None):
    from tenant_apps.portal.shop import offers_for

    return offers_for(product_type=product_type, network=network)


def _local(phone: str) -> str:
    """A number as people dial it here (08031234567, 771234567, 025124290): the national form, digits only
    (Sierra Leone's is written "(025) 124290": brackets a keypad cannot type back)."""
    import phonenumbers

    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return phone
    return "".join(ch for ch in phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
                   if ch.isdigit())


def _amount(value: str) -> int | None:
    if not DIGITS.match(value or ""):
        return None
    try:
        return parse_amount(value, currency=tenant_currency().code)
    except ApiError:
        return None


def _index(value: str, count: int) -> int | None:
    if not (value.isdigit() and len(value) <= 2):
        return None
    number = int(value)
    return number - 1 if 1 <= number <= count else None


def _list_screen(state: SessionState, step: str, title: str, labels: dict[int, str]) -> Screen:
    """One page of a list: as many items as fit on the screen (at most PAGE_SIZE) with "More" and "Back"
    always shown; an item's name is shortened when even one would not fit."""
    ids = state.data["list"]
    start = min(int(state.data.get("start", 0)), max(len(ids) - 1, 0))
    tail = [f"{BACK}. " + _("Back")]
    more = f"{MORE}. " + _("More")
    room = _screen_chars() - _width(title) - 1
    shown: list[int] = []
    lines: list[str] = []
    for item in ids[start:start + PAGE_SIZE]:
        line = f"{len(shown) + 1}. {labels.get(item, '?')}"
        rest = ids[start + len(shown) + 1:]
        footer = ([more] if rest else []) + tail
        if _width("\n".join([*lines, line, *footer])) > room:
            if not shown:  # not even one: the first item's name is shortened
                spare = room - _width("\n".join(footer)) - 1 - len(f"{len(shown) + 1}. ")
                lines.append(f"{len(shown) + 1}. " + _shorten(labels.get(item, "?"), max(spare, 4)))
                shown.append(item)
            break
        lines.append(line)
        shown.append(item)
    following = start + len(shown)
    state.data.update({"start": start, "shown": shown, "next": following if following < len(ids) else None})
    footer = ([more] if state.data["next"] is not None else []) + tail
    return _con(state, step, _fit(title, lines + footer))


INVALID = -1  # _pick: not a choice of the page (the caller shows the same page again)


def _pick(state: SessionState, value: str) -> int | None:
    """The id chosen on a list screen; None after "More" (the caller shows the next page); INVALID for a typo."""
    following = state.data.get("next")
    if value == MORE and following is not None:
        state.data["start"] = following
        return None
    shown = state.data.get("shown", [])
    index = _index(value, len(shown))
    if index is None:
        return INVALID
    return shown[index]


def _notice(chosen: int | None) -> str:
    return _("Invalid choice.") + "\n" if chosen == INVALID else ""


def _history(user) -> str:
    from tenant_apps.ledger.selectors import wallet_statement

    lines = []
    for posting in wallet_statement(user=user)[:3]:
        label = _label(posting.entry_type, posting.reference, posting.amount)
        sign = "+" if posting.amount > 0 else "-"
        lines.append(f"{posting.created_at:%d/%m} {sign}{_money(abs(posting.amount), posting.currency)} {label}")
    return _("Last transactions") + "\n" + ("\n".join(lines) if lines else _("No transactions yet."))


def _label(entry_type: str, reference: str, amount: int) -> str:
    if reference.startswith("ord-"):
        return _("Refund") if amount > 0 else _("Purchase")
    if reference.startswith(("p2p:", "p2p-held:")):  # p2p-held: a transfer a risk rule holds
        return _("Received") if amount > 0 else _("Sent")
    if entry_type == "funding" or reference.startswith("cashin:"):
        return _("Top-up")
    if reference.startswith("cashout:"):
        return _("Cash-out")
    return entry_type_label(entry_type)  # as the statement names it (savings, merchants, remittances, ...)


NO_SHORTCUT_STEPS = frozenset({"confirm", *pin_menu.STEPS})  # a PIN is typed, never dialled
INPUT_STEPS = frozenset({"airtime_number", "airtime_amount", "data_number", "bill_meter", "bill_amount",
                         "send_number", "send_amount", "cashout_amount"})
STEPS: dict[str, Callable[[SessionState, str, Any, UssdRequest], Screen]] = {
    "main": on_main,
    "airtime_who": on_airtime_who, "airtime_number": on_airtime_number, "airtime_amount": on_airtime_amount,
    "data_network": on_data_network, "data_bundle": on_data_bundle, "data_who": on_data_who,
    "data_number": on_data_number,
    "bill_product": on_bill_product, "bill_meter": on_bill_meter, "bill_amount": on_bill_amount,
    "send_number": on_send_number, "send_amount": on_send_amount,
    "cashout_amount": on_cashout_amount, **pin_menu.STEPS, **cash_menu.STEPS,
    "confirm": on_confirm,
}


# --- one gateway request ------------------------------------------------------------------------------

def respond(request: UssdRequest) -> UssdReply:
    """The next screen for ``request`` (the caller has authenticated the gateway and bounded the fields)."""
    user = registered_user(request.phone_number)
    if user is None:
        brand = current_brand()
        with translation.override(message_language(brand=brand)):
            return UssdReply(_("This number has no %(brand)s account. Sign up on the web, then verify your "
                               "phone.") % {"brand": brand.name}, final=True)
    state = sessions.load(request.session_id)
    if state is None:
        language = message_language(user=user)
        with translation.override(language):
            if request.text and sessions.seen(request.session_id):  # this session's state is gone
                return UssdReply(_("Your session has expired. Dial again."), final=True)
            state = SessionState.new(session_id=request.session_id, user_id=user.pk, language=language)
            sessions.mark_seen(request.session_id)
            screen = _main(state, user)
            # Dialled with inputs (*384*123*1*2#: the first request's text is "1*2"): each is answered in turn,
            # up to a PIN screen (a PIN in the dialled code is in the phone's call log: never read from there).
            for value in request.text.split("*") if request.text else []:
                if screen.final or state.step in NO_SHORTCUT_STEPS:
                    break
                screen = _answer(state, value, user, request)
            state.handle(request.text)
            if screen.final:
                sessions.drop(request.session_id)
            else:
                sessions.save(state)
            return UssdReply(screen.text, final=screen.final)
    with translation.override(state.language):
        typed = state.new_input(request.text)
        if state.user_id != user.pk or typed is None:
            sessions.drop(request.session_id)
            return UssdReply(_("Your session has expired. Dial again."), final=True)
        screen = _answer(state, typed, user, request)
        state.handle(request.text)
        if screen.final:
            sessions.drop(request.session_id)
        else:
            sessions.save(state)
        return UssdReply(screen.text, final=screen.final)


def _answer(state: SessionState, value: str, user, request: UssdRequest) -> Screen:
    if state.step in INPUT_STEPS and value in (BACK, BACK + BACK):  # no number, amount or meter is 0 or 00
        return _back(state, user)
    screen = STEPS[state.step](state, value, user, request)
    return _back(state, user) if screen is MAIN_MENU else screen
