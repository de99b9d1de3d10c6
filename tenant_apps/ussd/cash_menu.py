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
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from .screens import money


def confirmation_lines(amount_minor: int) -> list[str]:
    """What the customer agrees to: the fee and what leaves the wallet (held until the agent pays out)."""
    from tenant_apps.cash.services import cash_out_fee

    fee = cash_out_fee(amount_minor)
    return [_("Fee: %(fee)s") % {"fee": money(fee)}, _("You pay %(price)s") % {"price": money(amount_minor + fee)}]


def withdraw(user: Any, amount_minor: int) -> dict[str, Any]:
    """A withdrawal code (the amount and the fee held), texted after commit; the body kept for replays has no code."""
    from tenant_apps.cash.services import withdrawal_code_create

    row, code = withdrawal_code_create(customer=user, amount_minor=amount_minor)
    minutes = max(int(settings.AGENT_CASH["CODE_TTL_SECONDS"]) // 60, 1)
    context = {"amount": money(row.amount_minor, row.currency), "fee": money(row.fee_minor, row.currency),
               "minutes": minutes}
    phone = user.phone

    def text_the_code() -> None:
        from tenant_apps.notifications.messages import notify_sms

        notify_sms(to=phone, template="ussd_withdrawal_code", purpose="withdrawal_code", user=user,
                   context={**context, "code": code}, secrets=[code])

    transaction.on_commit(text_the_code, robust=True)  # a rollback sends nothing; an SMS failure is logged
    return {"kind": "cashout", "id": str(row.public_id), "amount": row.amount_minor, "fee": row.fee_minor,
            "currency": row.currency, "minutes": minutes}


def done(body: dict[str, Any]) -> str:
    return _("Your code to cash out %(amount)s was sent by SMS. Give it to the agent with your number within "
             "%(minutes)s min. Fee %(fee)s.") % {"amount": money(body["amount"], body["currency"]),
                                                 "fee": money(body["fee"], body["currency"]),
                                                 "minutes": body["minutes"]}
