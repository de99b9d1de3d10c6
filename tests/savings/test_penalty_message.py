"""The early-withdrawal penalty in the refusal's message is written for the saver's country and language.

Found from outside: 409 ``early_withdrawal_penalty`` gave the penalty only as a raw number (``20.00``), never as
money a saver reads (``₦20.00``; in French ``20,00 ₦``). The message now names it with ``countries.display_minor``
(like the limit errors); ``fields.penalty`` stays the machine's decimal string.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time

from tests.merchants.helpers import funded
from tests.savings.test_goals import code, set_rule
from tests.wallet.helpers import client_for, post

pytestmark = pytest.mark.django_db


@freeze_time(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
@pytest.mark.parametrize(("language", "message"), [
    ("en", "Withdrawing before the lock date costs a penalty of ₦20.00; confirm to go ahead."),
    ("fr", "Un retrait avant la date de blocage coûte une pénalité de 20,00 ₦ ; confirmez pour continuer."),
    ("pt", "Levantar antes da data de bloqueio tem uma penalização de 20,00 ₦; confirme para continuar."),
])
def test_the_penalty_is_money_in_the_savers_language(language, message):
    set_rule("penalty", 500)  # 5 %
    saver = funded(amount=100_000)
    client = client_for(saver)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    goal_id = post(client, "/api/savings/goals", {"name": "Rent", "target": "900.00",
                                                  "lock_until": "2026-12-31"}).json()["id"]
    assert post(client, f"/api/savings/goals/{goal_id}/deposits", {"amount": "400.00"}).status_code == 201
    asked = post(client, f"/api/savings/goals/{goal_id}/withdrawals", {"amount": "400.00"})
    assert (asked.status_code, code(asked)) == (409, "early_withdrawal_penalty")
    shown = asked.json()["error"]["message"]
    assert shown.replace("\u202f", " ").replace("\u00a0", " ") == message, repr(shown)  # any space kind
    assert asked.json()["error"]["fields"]["penalty"] == ["20.00"]  # the machine's decimal string
