"""Savings pages through the Django test client (rolled back): goals (create, deposit once, locked withdrawal
refused, in French), circles (create, invite, join, start, the board, arrears paid once), the operator's
rules and dissolution (Portuguese)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tenant_apps.savings import goals, services
from tenant_apps.savings.models import Circle, Contribution, SavingsGoal
from tests.merchants.helpers import balances, funded, staff
from tests.merchants.test_pages import logged_in
from tests.wallet.helpers import assert_books_balance, new_customer

pytestmark = pytest.mark.django_db
KEYS = re.compile(r'name="(?:\w+-)?idempotency_key" value="([^"]+)"')


def test_goal_pages_deposit_once_and_refuse_a_locked_withdrawal_in_french(host_client):
    saver = funded(amount=50_000, schema="sn")
    client = logged_in(host_client, saver, "sn")
    home = client.get("/savings")
    assert home.status_code == 200 and "Nouvel objectif" in home.content.decode()
    lock = (timezone.localdate() + timedelta(days=90)).isoformat()
    goal_key = KEYS.search(home.content.decode())
    assert goal_key
    goal_body = {"kind": "goal", "idempotency_key": goal_key.group(1), "name": "Tabaski", "target": "30000",
                 "lock_until": lock}
    created = client.post("/savings", goal_body)
    assert client.post("/savings", goal_body)["Location"] == created["Location"]  # a double submit: one goal
    assert created.status_code == 302, created.content.decode()[:2000]
    goal_page = client.get(created["Location"])
    html = goal_page.content.decode()
    assert "Bloqué jusqu" in html and "Le retrait anticipé n'est pas autorisé." in html
    deposit_key, withdraw_key = KEYS.findall(html)[:2]
    body = {"action": "deposit", "deposit-idempotency_key": deposit_key, "deposit-amount": "20000"}
    first = client.post(created["Location"], body)
    second = client.post(created["Location"], body)  # double submit: saved once
    assert first.status_code == second.status_code == 302
    assert balances(saver, schema="sn") == [30_000]
    refused = client.post(created["Location"], {"action": "withdraw", "withdraw-idempotency_key": withdraw_key,
                                                "withdraw-amount": "1000"})
    assert refused.status_code == 400
    assert "Cet objectif est bloqué jusqu&#x27;à sa date" in refused.content.decode()
    with schema_context("sn"):
        goal = SavingsGoal.objects.select_related("account").get(owner=saver)
        assert goal.account.balance == 20_000
    assert_books_balance("sn")


def test_circle_pages_from_invitation_to_the_board(host_client, settings):
    settings.SAVINGS_SMS_NOTIFICATIONS = False
    ada, bola = funded(amount=100_000), new_customer()
    organiser = logged_in(host_client, ada)
    created = organiser.post("/savings", {"kind": "circle", "name": "Estate ajo", "contribution": "200.00",
                                          "frequency": "weekly", "members": bola.phone})
    assert created.status_code == 302
    invited = logged_in(host_client, bola)
    assert "Estate ajo" in invited.get("/savings").content.decode()  # the invitation, by phone
    circle_page = invited.get(created["Location"]).content.decode()
    assert 'data-testid="invitation-answer"' in circle_page
    assert invited.post(created["Location"], {"action": "accept"}).status_code == 302
    started = organiser.post(created["Location"], {"action": "start"})
    assert started.status_code == 302
    with schema_context("ng"):
        circle = Circle.objects.get(name="Estate ajo", organiser=ada)
        first_collection = circle.next_collection_at  # as loaded: the first round
        assert first_collection is not None
        services.circle_run(circle=circle, now=first_collection)  # Bola's wallet is empty: retrying
        for hours in (6, 12):
            services.circle_run(circle=circle, now=first_collection + timedelta(hours=hours))
        assert Contribution.objects.get(circle=circle, member__user=bola).status == "missed"
    board = organiser.get(created["Location"]).content.decode()
    assert 'data-status="missed"' in board and 'data-status="collected"' in board
    # Bola's missed round-1 contribution is owed to Ada (round 1's pot); Bola pays it from the page, once.
    with schema_context("ng"):
        from tenant_apps.ledger.services import fund_wallet, wallet_for

        fund_wallet(wallet=wallet_for(user=bola), amount=50_000, reference=f"bola-salary-{circle.public_id}")
    bola_view = invited.get(created["Location"]).content.decode()
    assert 'data-testid="arrears-form"' in bola_view
    key = KEYS.search(bola_view)
    contribution = re.search(r'name="contribution" value="([^"]+)"', bola_view)
    assert key and contribution
    body = {"action": "arrears", "idempotency_key": key.group(1), "contribution": contribution.group(1)}
    assert invited.post(created["Location"], body).status_code == 302
    assert invited.post(created["Location"], body).status_code == 302  # replayed, not paid twice
    assert balances(ada, bola) == [100_000 - 20_000 + 20_000 + 20_000, 30_000]
    with schema_context("ng"):
        services.circle_run(circle=circle, now=first_collection + timedelta(weeks=1))
        circle.refresh_from_db()
        assert circle.status == "completed"
    assert balances(ada, bola) == [100_000, 50_000]  # Ada paid 2 x 200 and got 400; so did Bola
    assert_books_balance("ng")


def test_back_office_savings_rules_and_dissolution_in_portuguese(host_client):
    admin = staff(role="operator_admin")
    with schema_context("ng"):
        type(admin).objects.filter(pk=admin.pk).update(preferred_language="pt")
    client = logged_in(host_client, admin)
    page = client.get("/back-office/savings")
    assert page.status_code == 200 and "Regras da poupança por objetivo" in page.content.decode()
    saved = client.post("/back-office/savings", {"early_withdrawal": "penalty", "penalty_percent": "2.5"})
    assert saved.status_code == 302
    with schema_context("ng"):
        assert goals.savings_settings().penalty_bps == 250
    support = logged_in(host_client, staff())
    assert support.post("/back-office/savings", {"early_withdrawal": "refused"}).status_code == 403
    assert logged_in(host_client, new_customer()).get("/back-office/savings").status_code == 403
