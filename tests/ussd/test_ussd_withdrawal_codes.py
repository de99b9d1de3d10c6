"""A customer's waiting withdrawal codes over USSD (option 8 once a code waits): text one again (the same code, by
SMS only) or cancel it (the amount and fee back in the wallet, once). In-process menus with the SMS outbox."""

from __future__ import annotations

import re

import pytest
from django_tenants.utils import schema_context

from tests.ussd.helpers import customer, every_log_line, ng_phone
from tests.ussd.test_ussd_menus import Session
from tests.wallet.helpers import assert_books_balance

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _sms(sms_to_simulator):
    yield


def _code_for(user, amount_minor: int) -> tuple[str, str]:
    from tenant_apps.cash.services import withdrawal_code_create

    with schema_context("ng"):
        row, code = withdrawal_code_create(customer=user, amount_minor=amount_minor)
    return str(row.public_id), code


def _balance(user) -> int:
    from tenant_apps.ledger.services import wallet_for

    with schema_context("ng"):
        return int(wallet_for(user=user).balance or 0)


def test_a_waiting_code_is_texted_again_or_cancelled_over_ussd(sms, django_capture_on_commit_callbacks):
    from tenant_apps.cash.models import WithdrawalCode

    user = customer(phone=ng_phone(), balance_minor=1_000_000)
    # No code waiting: option 8 asks the amount of a new one, as before.
    assert Session(user).send("8") == "CON Cash out\nEnter the amount\n0. Back"
    first_id, first_code = _code_for(user, 500_000)
    second_id, _second_code = _code_for(user, 200_000)
    assert _balance(user) == 1_000_000 - 505_000 - 202_000
    resend = Session(user)
    with every_log_line() as lines:
        assert resend.send("8") == "CON Cash out\n1. New code\n2. My codes\n0. Back"
        codes = resend.send("2")
        assert codes.startswith("CON My codes\n1. NGN 2,000.00, ") and "\n2. NGN 5,000.00, " in codes, codes
        assert resend.send("2") == "CON Code for NGN 5,000.00\n1. Send it again by SMS\n2. Cancel it\n0. Back"
        with schema_context("ng"), django_capture_on_commit_callbacks(execute=True):  # the SMS, after commit
            done = resend.send("1")
    assert done == "END Your code for NGN 5,000.00 was sent again by SMS."
    [message] = sms.messages(to=user.phone)
    assert re.search(rf"code is {first_code} for NGN 5,000\.00", message["sms"]), message  # the same code
    assert not [line for line in lines if first_code in line]
    # Cancelling the other one gives its amount and fee back, once.
    cancel = Session(user)
    for value in ("8", "2", "1"):
        cancel.send(value)
    assert cancel.send("2") == ("CON Cancel the code for NGN 2,000.00? NGN 2,020.00 comes back to your wallet.\n"
                                "1. Yes, cancel it\n0. Back")
    assert cancel.send("1") == "END Cancelled. NGN 2,020.00 is back in your wallet."
    assert _balance(user) == 1_000_000 - 505_000
    with schema_context("ng"):
        assert WithdrawalCode.objects.get(public_id=second_id).status == "cancelled"
        assert WithdrawalCode.objects.get(public_id=first_id).status == "active"
    # The list shows only what still waits; a code cancelled meanwhile is refused, not cancelled twice.
    late = Session(user)
    for value in ("8", "2", "1", "2"):
        late.send(value)
    from tenant_apps.cash.services import withdrawal_code_cancel

    with schema_context("ng"):
        withdrawal_code_cancel(customer=user, public_id=first_id)  # meanwhile, on the web
    assert late.send("1") == "END Cancelled. NGN 5,050.00 is back in your wallet."  # already cancelled: said again
    assert _balance(user) == 1_000_000
    assert Session(user).send("8") == "CON Cash out\nEnter the amount\n0. Back"
    assert_books_balance("ng")
