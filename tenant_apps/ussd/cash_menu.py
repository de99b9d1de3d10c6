"""Cash-out over USSD: the customer asks for a withdrawal code for an amount, confirms with the PIN, and gets the
code BY SMS, never on the screen.

The code is a bearer secret (whoever holds it, with the customer's number and the amount, takes the cash). Every
USSD reply is kept ``USSD['ANSWER_TTL_SECONDS']`` in Redis to answer the gateway's repeats, and the money step's
answer is stored in the idempotency record for replays: a code on the screen would sit in both, in clear. So the
code goes out once, by the platform's SMS path (``notify_sms`` with ``secrets=[code]``: the stored SMS row and the
provider archive hold it masked), after the money transaction commits; the screen, the Redis answer and the
idempotency record say only that it was sent, with the amount, the fee and the validity. A repeat of the request
replays that code-free screen and sends nothing again.

The money is the API's and the portal's: ``cash.services.withdrawal_code_create`` (its fee, ``cash_out_fee``, is
the one the confirmation shows; its refusals are the menu's ``REFUSALS``), run by the menu's confirmation step
through ``run_idempotently``.

A customer holding active codes gets a choice first ("New code" / "My codes"): a code of the list can be texted
again (``withdrawal_code_resend``: the same code, by SMS after commit, throttled) or cancelled
(``withdrawal_code_cancel``: its hold released, once; a repeat finds it cancelled and says so again). Neither
screen shows the code, and no PIN is asked: nothing leaves the wallet.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from provider_plugins.interfaces.ussd import UssdRequest
from shared_apps.core.errors import ApiError

from .screens import BACK, MAIN_MENU, Screen, ask, con, end, menu_text, money, refusal
from .sessions import SessionState


def confirmation_lines(amount_minor: int) -> list[str]:
    """What the customer agrees to: the fee and what leaves the wallet (held until the agent pays out)."""
    from tenant_apps.cash.services import cash_out_fee

    fee = cash_out_fee(amount_minor)
    return [_("Fee: %(fee)s") % {"fee": money(fee)}, _("You pay %(price)s") % {"price": money(amount_minor + fee)}]


def withdraw(user: Any, amount_minor: int) -> dict[str, Any]:
    """A withdrawal code (the amount and the fee held), texted after commit; the body kept for replays has no code."""
    from tenant_apps.cash.services import text_withdrawal_code, withdrawal_code_create

    row, code = withdrawal_code_create(customer=user, amount_minor=amount_minor)
    minutes = max(int(settings.AGENT_CASH["CODE_TTL_SECONDS"]) // 60, 1)
    text_withdrawal_code(row=row, code=code, minutes=minutes)
    return {"kind": "cashout", "id": str(row.public_id), "amount": row.amount_minor, "fee": row.fee_minor,
            "currency": row.currency, "minutes": minutes}


def done(body: dict[str, Any]) -> str:
    return _("Your code to cash out %(amount)s was sent by SMS. Give it to the agent with your number within "
             "%(minutes)s min. Fee %(fee)s.") % {"amount": money(body["amount"], body["currency"]),
                                                 "fee": money(body["fee"], body["currency"]),
                                                 "minutes": body["minutes"]}


# --- the customer's active codes: text one again, or cancel it ---------------------------------------------------

def start(state: SessionState, user: Any) -> Screen:
    """Option 8: the amount of a new code, or first a choice when codes are waiting."""
    from tenant_apps.cash.selectors import active_withdrawal_codes

    if not active_withdrawal_codes(customer=user).exists():
        return ask(state, "cashout_amount", _("Cash out") + "\n" + _("Enter the amount"))
    return con(state, "cashout_menu", menu_text(_("Cash out"), [_("New code"), _("My codes")]))


def _codes(user: Any) -> list[Any]:
    from tenant_apps.cash.selectors import active_withdrawal_codes

    return list(active_withdrawal_codes(customer=user)[:int(settings.AGENT_CASH["MAX_ACTIVE_CODES"])])


def _left(row: Any) -> int:
    return max(int((row.expires_at - timezone.now()).total_seconds()) // 60, 1)


def on_cashout_menu(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    if value == BACK:
        return MAIN_MENU
    if value == "1":
        return ask(state, "cashout_amount", _("Cash out") + "\n" + _("Enter the amount"))
    codes = _codes(user) if value == "2" else None
    if codes is None:
        return con(state, "cashout_menu", menu_text(_("Invalid choice.") + "\n" + _("Cash out"),
                                                    [_("New code"), _("My codes")]))
    if not codes:
        return end(_("You have no withdrawal code waiting."))
    state.data["codes"] = [str(row.public_id) for row in codes]
    return con(state, "cashout_codes", menu_text(_("My codes"), [
        _("%(amount)s, %(minutes)s min left") % {"amount": money(row.amount_minor, row.currency),
                                                 "minutes": _left(row)} for row in codes]))


def _chosen(state: SessionState, user: Any) -> Any:
    from tenant_apps.cash.models import WithdrawalCode

    return WithdrawalCode.objects.filter(customer=user, public_id=state.data.get("code", "")).first()


def on_cashout_codes(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    if value == BACK:
        return MAIN_MENU
    ids = state.data.get("codes", [])
    if not (value.isdigit() and 1 <= int(value) <= len(ids)):
        return end(_("Invalid choice."))
    state.data["code"] = ids[int(value) - 1]
    row = _chosen(state, user)
    if row is None:
        return end(_("This withdrawal code is no longer active."))
    return con(state, "cashout_code", menu_text(
        _("Code for %(amount)s") % {"amount": money(row.amount_minor, row.currency)},
        [_("Send it again by SMS"), _("Cancel it")]))


def on_cashout_code(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    from tenant_apps.cash.services import withdrawal_code_resend

    if value == BACK:
        return MAIN_MENU
    row = _chosen(state, user)
    if row is None:
        return end(_("This withdrawal code is no longer active."))
    if value == "1":
        try:
            withdrawal_code_resend(customer=user, public_id=row.public_id)
        except ApiError as error:
            return refusal(error)
        return end(_("Your code for %(amount)s was sent again by SMS.") % {
            "amount": money(row.amount_minor, row.currency)})
    if value == "2":
        return con(state, "cashout_cancel", menu_text(
            _("Cancel the code for %(amount)s? %(total)s comes back to your wallet.") % {
                "amount": money(row.amount_minor, row.currency), "total": money(row.total_minor, row.currency)},
            [_("Yes, cancel it")]))
    return end(_("Invalid choice."))


def on_cashout_cancel(state: SessionState, value: str, user: Any, request: UssdRequest) -> Screen:
    from tenant_apps.cash.services import withdrawal_code_cancel

    if value != "1":
        return MAIN_MENU if value == BACK else end(_("Invalid choice."))
    row = _chosen(state, user)
    if row is None:
        return end(_("This withdrawal code is no longer active."))
    try:
        with transaction.atomic():
            row = withdrawal_code_cancel(customer=user, public_id=row.public_id)
    except ApiError as error:
        return refusal(error)
    return end(_("Cancelled. %(total)s is back in your wallet.") % {"total": money(row.total_minor, row.currency)})


STEPS = {"cashout_menu": on_cashout_menu, "cashout_codes": on_cashout_codes, "cashout_code": on_cashout_code,
         "cashout_cancel": on_cashout_cancel}
