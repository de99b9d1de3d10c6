"""Target savings: a locked goal refuses early withdrawal; the operator's penalty rule (copied onto goals when
they open); scheduled top-ups with retries (time given as ``now=`` / freezegun). Books balance."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from django_tenants.utils import schema_context
from freezegun import freeze_time

from tenant_apps.audit.models import AuditEvent
from tenant_apps.savings import goals
from tenant_apps.savings.models import SavingsGoal
from tenant_apps.savings.selectors import savings_discrepancies
from tests.merchants.helpers import balances, funded, revenue, staff
from tests.support.unchanged import nothing_changes
from tests.wallet.helpers import assert_books_balance, client_for, post

pytestmark = pytest.mark.django_db
TODAY = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def code(response) -> str:
    return response.json()["error"]["code"]


def set_rule(rule: str, penalty_bps: int = 0):
    admin = staff(role="operator_admin")
    answer = client_for(admin).put("/api/staff/savings/rules", json.dumps({"early_withdrawal": rule,
                                                                         "penalty_bps": penalty_bps}),
                                   content_type="application/json")
    assert answer.status_code == 200, answer.content
    return admin


@freeze_time(TODAY)
def test_a_locked_goal_refuses_early_withdrawal_then_pays_out_after_the_date():
    set_rule("refused")
    saver = funded(amount=200_000)
    goal = post(client_for(saver), "/api/savings/goals", {"name": "School fees", "target": "1500.00",
                                                          "lock_until": "2026-09-01"})
    assert goal.status_code == 201, goal.content
    goal_id = goal.json()["id"]
    assert goal.json()["early_withdrawal"] == "refused"
    deposit = post(client_for(saver), f"/api/savings/goals/{goal_id}/deposits", {"amount": "1200.00"}, key="dep-1")
    assert deposit.status_code == 201 and deposit.json()["saved"] == "1200.00"
    assert deposit.json()["progress_percent"] == 80
    replay = post(client_for(saver), f"/api/savings/goals/{goal_id}/deposits", {"amount": "1200.00"}, key="dep-1")
    assert replay["Idempotency-Replayed"] == "true" and balances(saver) == [80_000]

    early = post(client_for(saver), f"/api/savings/goals/{goal_id}/withdrawals", {"amount": "100.00"})
    assert (early.status_code, code(early)) == (403, "goal_locked")
    forced = post(client_for(saver), f"/api/savings/goals/{goal_id}/withdrawals", {"accept_penalty": True})
    assert code(forced) == "goal_locked"
    assert balances(saver) == [80_000]
    too_much = post(client_for(saver), f"/api/savings/goals/{goal_id}/deposits", {"amount": "1000.00"})
    assert code(too_much) == "insufficient_funds"

    with freeze_time(datetime(2026, 9, 1, 7, 0, tzinfo=UTC)):
        out = post(client_for(saver), f"/api/savings/goals/{goal_id}/withdrawals", {"amount": "200.00"})
        assert out.status_code == 201 and out.json()["received"] == "200.00" and out.json()["goal"]["saved"] == \
            "1000.00"
        rest = post(client_for(saver), f"/api/savings/goals/{goal_id}/withdrawals", {})
        assert rest.json()["received"] == "1000.00"
        assert code(post(client_for(saver), f"/api/savings/goals/{goal_id}/withdrawals", {})) == "goal_empty"
    assert balances(saver) == [200_000]
    with schema_context("ng"):
        assert savings_discrepancies() == []
    assert_books_balance("ng")


@freeze_time(TODAY)
def test_penalty_rule_goes_to_revenue_and_a_later_rule_change_does_not_touch_open_goals():
    set_rule("penalty", 500)  # 5 %
    saver = funded(amount=100_000)
    goal_id = post(client_for(saver), "/api/savings/goals", {"name": "Rent", "target": "900.00",
                                                             "lock_until": "2026-12-31"}).json()["id"]
    post(client_for(saver), f"/api/savings/goals/{goal_id}/deposits", {"amount": "800.00"})
    set_rule("refused")  # changed after the goal opened: the goal keeps its 5 % rule
    with schema_context("ng"):
        changes = list(AuditEvent.objects.filter(action="savings_rules_changed").order_by("id")
                       .values_list("details", flat=True))
        assert [c["after"]["early_withdrawal"] for c in changes[-2:]] == ["penalty", "refused"]
    revenue_before = revenue()
    asked = post(client_for(saver), f"/api/savings/goals/{goal_id}/withdrawals", {"amount": "400.00"})
    assert (asked.status_code, code(asked)) == (409, "early_withdrawal_penalty")
    assert asked.json()["error"]["fields"]["penalty"] == ["20.00"]
    taken = post(client_for(saver), f"/api/savings/goals/{goal_id}/withdrawals", {"amount": "400.00",
                                                                                  "accept_penalty": True})
    assert taken.status_code == 201 and taken.json()["received"] == "380.00"
    assert balances(saver) == [100_000 - 80_000 + 38_000] and revenue() == revenue_before + 2_000
    new_goal = post(client_for(saver), "/api/savings/goals", {"name": "Later", "target": "10.00",
                                                              "lock_until": "2026-07-01"})
    assert new_goal.json()["early_withdrawal"] == "refused"
    assert_books_balance("ng")


def test_scheduled_top_ups_retry_then_pause(settings):
    settings.SAVINGS_AUTOSAVE_MAX_FAILURES = 2
    settings.SAVINGS_AUTOSAVE_RETRY_SECONDS = 3600
    saver = funded(amount=25_000)
    with schema_context("ng"):
        goal = goals.goal_create(owner=saver, name="Phone", target_minor=100_000, autosave_minor=10_000,
                                 autosave_frequency="weekly", now=TODAY)
        assert goals.goals_autosave_due(now=TODAY) == {"saved": 1}
        assert goals.goals_autosave_due(now=TODAY + timedelta(days=1)) == {}  # weekly
        week = TODAY + timedelta(weeks=1)
        assert goals.goals_autosave_due(now=week) == {"saved": 1}
        assert goals.goals_autosave_due(now=week + timedelta(weeks=1)) == {"retry": 1}  # 5000 left
        assert goals.goals_autosave_due(now=week + timedelta(weeks=1, hours=1)) == {"paused": 1}
        goal = SavingsGoal.objects.select_related("account").get(pk=goal.pk)
        assert goal.account.balance == 20_000 and goal.autosave_paused_reason == "insufficient_funds"
        assert goal.autosave_next_at is None
        assert savings_discrepancies() == []
    assert balances(saver) == [5_000]
    assert_books_balance("ng")


def test_goal_is_the_owners_only(db):
    saver, other = funded(), funded()
    goal_id = post(client_for(saver), "/api/savings/goals", {"name": "Trip", "target": "50.00"}).json()["id"]
    with nothing_changes("ng"):
        assert client_for(other).get(f"/api/savings/goals/{goal_id}").status_code == 404
        assert post(client_for(other), f"/api/savings/goals/{goal_id}/withdrawals", {}).status_code == 404
        assert post(client_for(other), f"/api/savings/goals/{goal_id}/deposits", {"amount": "1"}).status_code == 404
    gh_saver = funded(schema="gh")
    assert client_for(gh_saver, "gh").get(f"/api/savings/goals/{goal_id}").status_code == 404
    past = post(client_for(saver), "/api/savings/goals", {"name": "Past", "target": "5.00",
                                                          "lock_until": date(2020, 1, 1).isoformat()})
    assert code(past) == "validation_error"


@freeze_time(TODAY)
def test_small_early_withdrawals_cannot_dodge_the_penalty():
    """Attack: under a 5 % rule the penalty of a 0.09 withdrawal rounded (half up) to zero, so a locked goal came
    out early for free in withdrawals of 0.09 (each accepted without a word). A penalty rule charges at least one
    minor unit on any early withdrawal: asked first (409), then taken to revenue."""
    set_rule("penalty", 500)  # 5 %
    saver = funded(amount=100_000)
    goal_id = post(client_for(saver), "/api/savings/goals", {"name": "Rent", "target": "900.00",
                                                             "lock_until": "2026-12-31"}).json()["id"]
    post(client_for(saver), f"/api/savings/goals/{goal_id}/deposits", {"amount": "500.00"})
    revenue_before = revenue()
    sneaky = post(client_for(saver), f"/api/savings/goals/{goal_id}/withdrawals", {"amount": "0.09"})
    assert (sneaky.status_code, code(sneaky)) == (409, "early_withdrawal_penalty")
    assert sneaky.json()["error"]["fields"]["penalty"] == ["0.01"]
    assert balances(saver) == [50_000] and revenue() == revenue_before  # nothing moved
    taken = post(client_for(saver), f"/api/savings/goals/{goal_id}/withdrawals", {"amount": "0.09",
                                                                                  "accept_penalty": True})
    assert taken.status_code == 201 and taken.json()["received"] == "0.08"
    assert balances(saver) == [50_008] and revenue() == revenue_before + 1
    assert_books_balance("ng")
