"""A sale by the third level of an agent tree in a reseller brand: breakdown, commissions, float, reversal."""

from __future__ import annotations

import uuid

import pytest
import requests
from django.core import mail
from django.core.management import call_command
from django_tenants.utils import schema_context

from tenant_apps.agents import sales
from tenant_apps.agents.floats import draw_float, float_balances
from tenant_apps.agents.models import Agent, CommissionPosting
from tenant_apps.ledger.errors import InsufficientFunds
from tenant_apps.ledger.models import JournalEntry
from tenant_apps.pricing.models import CommissionTier, PriceRule
from tenants.models import Tenant
from tests.accounts.helpers import PASSWORD, call, login, make_user

from .helpers import assert_ledger_balanced, balance, refund, sell, system_total, token_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(host_client, products, sms_simulator, django_capture_on_commit_callbacks, qv_admin_token):
    """quickvend: admin -> A (email) -> B (email) -> C (phone); tiers 3 % / 1 % / 0.5 %; every wallet funded."""
    with schema_context("ng"):
        PriceRule.objects.create(mode="percent", value=500)
    with schema_context("quickvend"):
        PriceRule.objects.create(mode="percent", value=1_000)
        CommissionTier.objects.bulk_create([CommissionTier(level=1, rate_bp=300), CommissionTier(level=2, rate_bp=100),
                                            CommissionTier(level=3, rate_bp=50)])
    site = host_client("quickvend.localhost")
    admin = qv_admin_token

    def invite(token, **contact):
        with django_capture_on_commit_callbacks(execute=True):
            response = call(site, "POST", "/api/agents/invitations", contact, token=token)
        assert response.status_code == 201, response.content
        if "email" in contact:
            return token_from(str(mail.outbox[-1].body))
        sms = requests.get(f"{sms_simulator.url}/outbox.json", params={"to": contact["phone"]}, timeout=5).json()
        return token_from(sms["messages"][0]["sms"])

    def accept(invitation_token, email):
        response = call(site, "POST", "/api/agents/invitations/accept",
                        {"token": invitation_token, "password": PASSWORD, "email": email})
        assert response.status_code == 201, response.content
        return login(site, email)["access"]

    a = accept(invite(admin, email="agent-a@qv.test"), "agent-a@qv.test")
    b = accept(invite(a, email="agent-b@qv.test"), "agent-b@qv.test")
    c = accept(invite(b, phone="+2348035550001"), "agent-c@qv.test")

    # Operator finance funds the float at ng; each parent funds its child (Idempotency-Key on every call).
    make_user("ng", email="finance@ng.test", role="operator_finance")
    ng = host_client("ng.localhost")
    finance = login(ng, "finance@ng.test")["access"]
    funded = call(ng, "POST", "/api/resellers/quickvend/float", {"amount": "5000.00"}, token=finance,
                  HTTP_IDEMPOTENCY_KEY="float-1")
    assert funded.status_code == 201, funded.content
    replay = call(ng, "POST", "/api/resellers/quickvend/float", {"amount": "5000.00"}, token=finance,
                  HTTP_IDEMPOTENCY_KEY="float-1")
    assert replay.headers["Idempotency-Replayed"] == "true"
    with schema_context("quickvend"):
        agents = {a.user.email: a for a in Agent.objects.select_related("user")}
    # The emailed link proves the address (payable by email); the email typed on an SMS invitation's form does not.
    assert agents["agent-a@qv.test"].user.email_verified_at is not None
    assert agents["agent-c@qv.test"].user.email_verified_at is None and agents["agent-c@qv.test"].user.phone_verified_at
    for token, email, amount in ((admin, "agent-a@qv.test", "3000.00"), (a, "agent-b@qv.test", "2000.00"),
                                 (b, "agent-c@qv.test", "1500.00")):
        response = call(site, "POST", f"/api/agents/{agents[email].public_id}/fund", {"amount": amount},
                        token=token, HTTP_IDEMPOTENCY_KEY=f"fund-{email}")
        assert response.status_code == 201, response.content
    return {"site": site, "admin": admin, "tokens": {"a": a, "b": b, "c": c},
            "agents": [agents["agent-a@qv.test"], agents["agent-b@qv.test"], agents["agent-c@qv.test"]]}


def test_tree_shape_and_depth_limit(tree, settings):
    a, b, c = tree["agents"]
    assert (a.depth, b.depth, c.depth) == (1, 2, 3)
    assert (b.parent_id, c.parent_id) == (a.pk, b.pk) and c.path == f"{a.pk}/{b.pk}/{c.pk}/"
    assert c.user.phone_verified_at is not None  # accepting an SMS invitation proves the phone
    refused = call(tree["site"], "POST", "/api/agents/invitations", {"email": "d@qv.test"}, token=tree["tokens"]["c"])
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "agent_depth_exceeded"
    visible = call(tree["site"], "GET", "/api/agents", token=tree["tokens"]["b"]).json()
    assert [row["email"] for row in visible] == ["agent-b@qv.test", "agent-c@qv.test"]
    not_parent = call(tree["site"], "POST", f"/api/agents/{c.public_id}/fund", {"amount": "1.00"},
                      token=tree["tokens"]["a"], HTTP_IDEMPOTENCY_KEY="x1")
    assert not_parent.status_code == 403 and not_parent.json()["error"]["code"] == "not_parent"



def test_a_sub_agent_moved_to_another_parent_sells_for_its_new_chain(tree, products, settings):
    """The reseller's admin moves C (under B) to A: C's later sales pay A as level 2 and B nothing, A funds C
    and sees it in its team, B neither; what C earned before stays paid. There was no way to move an agent
    (PATCH /api/agents/<id> ignored ``parent``): a sub-agent changing teams had to be invited again as a new
    account, losing its wallet and history. A move into its own team, past the depth limit, or under a
    suspended agent is refused and changes nothing."""
    a, b, c = tree["agents"]
    site, admin = tree["site"], tree["admin"]
    with schema_context("quickvend"):
        before = {agent.pk: balance(agent.user) for agent in (a, b, c)}

    cycle = call(site, "PATCH", f"/api/agents/{a.public_id}", {"parent": str(c.public_id)}, token=admin)
    assert cycle.status_code == 400 and cycle.json()["error"]["code"] == "agent_move_cycle"
    by_agent = call(site, "PATCH", f"/api/agents/{c.public_id}", {"parent": str(a.public_id)},
                    token=tree["tokens"]["b"])
    assert by_agent.status_code == 403  # an agent cannot take or hand over a sub-agent; the admin decides

    moved = call(site, "PATCH", f"/api/agents/{c.public_id}", {"parent": str(a.public_id)}, token=admin)
    assert moved.status_code == 200, moved.content
    assert (moved.json()["parent"], moved.json()["depth"]) == (str(a.public_id), 2)
    with schema_context("quickvend"):
        c.refresh_from_db()
        assert (c.parent_id, c.depth, c.path) == (a.pk, 2, f"{a.pk}/{c.pk}/")
        from tenant_apps.audit.models import AuditEvent

        [event] = AuditEvent.objects.filter(action="agent_moved", subject_id=str(c.pk))  # the refused moves: none
        assert (event.details["to_parent"], event.actor_role) == (a.pk, "operator_admin")
        order = sell(product=products["ng_1gb"], buyer=c.user)
    lines = {(line["party"], line["level"]): line["amount_minor"] for line in order.price_breakdown["lines"]
             if line["account_kind"] == "commissions_payable"}
    assert lines == {(f"agent:{c.public_id}", 1): 3_465, (f"agent:{a.public_id}", 2): 1_155}
    with schema_context("quickvend"):
        assert balance(c.user) == before[c.pk] - 115_500 + 3_465
        assert balance(a.user) == before[a.pk] + 1_155 and balance(b.user) == before[b.pk]
        assert_ledger_balanced()
    teams = {who: [row["email"] for row in call(site, "GET", "/api/agents", token=tree["tokens"][who]).json()]
             for who in ("a", "b")}
    assert "agent-c@qv.test" in teams["a"] and teams["b"] == ["agent-b@qv.test"]
    old_parent = call(site, "POST", f"/api/agents/{c.public_id}/fund", {"amount": "1.00"},
                      token=tree["tokens"]["b"], HTTP_IDEMPOTENCY_KEY="move-fund-b")
    assert old_parent.status_code == 403 and old_parent.json()["error"]["code"] == "not_parent"
    new_parent = call(site, "POST", f"/api/agents/{c.public_id}/fund", {"amount": "1.00"},
                      token=tree["tokens"]["a"], HTTP_IDEMPOTENCY_KEY="move-fund-a")
    assert new_parent.status_code == 201, new_parent.content

    # A whole team moves with its head: B under C (depth 3); C under B is then a cycle.
    under_c = call(site, "PATCH", f"/api/agents/{b.public_id}", {"parent": str(c.public_id)}, token=admin)
    assert under_c.status_code == 200 and under_c.json()["depth"] == 3
    cycle = call(site, "PATCH", f"/api/agents/{c.public_id}", {"parent": str(b.public_id)}, token=admin)
    assert cycle.status_code == 400 and cycle.json()["error"]["code"] == "agent_move_cycle"
    settings.RESELLERS = {**settings.RESELLERS, "AGENT_MAX_DEPTH": 2}
    top = call(site, "PATCH", f"/api/agents/{c.public_id}", {"parent": None}, token=admin)
    assert top.status_code == 200 and (top.json()["parent"], top.json()["depth"]) == (None, 1)
    deeper = call(site, "PATCH", f"/api/agents/{c.public_id}", {"parent": str(a.public_id)}, token=admin)
    assert deeper.status_code == 403 and deeper.json()["error"]["code"] == "agent_depth_exceeded"  # B at 3
    with schema_context("quickvend"):
        Agent.objects.filter(pk=a.pk).update(is_active=False)
    suspended = call(site, "PATCH", f"/api/agents/{b.public_id}", {"parent": str(a.public_id)}, token=admin)
    assert suspended.status_code == 403 and suspended.json()["error"]["code"] == "agent_inactive"
    with schema_context("quickvend"):
        rows = {agent.pk: (agent.parent_id, agent.depth, agent.path) for agent in Agent.objects.filter(
            pk__in=[b.pk, c.pk])}
    assert rows == {c.pk: (None, 1, f"{c.pk}/"), b.pk: (c.pk, 2, f"{c.pk}/{b.pk}/")}


def test_the_operations_dashboard_counts_its_resellers_sales(tree, products):
    """ng's back office showed a margin from its own orders only: what it earns on quickvend's sales (paid from
    the float, booked in ng's revenue) was nowhere, so the dashboard's margin was below ng's books. Now each
    reseller's settled sales are listed (paid from the float = provider cost + ng's margin) with the total
    margin, resellers included; a reversal takes them out."""
    import re
    from datetime import timedelta

    from django.test import Client
    from django.utils import timezone, translation

    from shared_apps.core.templatetags.ui import money
    from tenant_apps.agents.selectors import reseller_channel
    from tenant_apps.portal.analytics import sales_report
    from tests.portal.test_ops_pages import quick_login

    since = timezone.now() - timedelta(days=1)

    def quickvend_row():
        with schema_context("ng"):
            return next(row for row in reseller_channel(since=since) if row.schema == "quickvend")

    before = quickvend_row()
    c = tree["agents"][2]
    with schema_context("quickvend"):
        order = sell(product=products["ng_1gb"], buyer=c.user)
    after = quickvend_row()
    # cost 1000.00 at the provider, ng's 5 % = 50.00 (its revenue and VAT), 1050.00 from the float.
    assert (after.cost_minor - before.cost_minor, after.margin_minor - before.margin_minor) == (100_000, 5_000)
    assert after.drawn_minor - before.drawn_minor == 105_000

    finance = quick_login(Client(HTTP_HOST="ng.localhost"), "ng",
                          make_user("ng", email=f"fin-{uuid.uuid4().hex[:6]}@ng.test", role="operator_finance"))
    html = finance.get("/back-office/").content.decode()
    with schema_context("ng"):
        own = sales_report(days=14).totals.margin
        everyone = reseller_channel(since=timezone.now() - timedelta(days=14))
    row_margin = re.search(r'data-schema="quickvend">.*?data-testid="reseller-margin">([^<]*)<', html)
    shown = re.search(r'data-testid="margin-with-resellers">([^<]*)<', html)
    assert row_margin is not None and shown is not None, html
    with translation.override("en"):
        assert row_margin.group(1) == money(after.margin_minor, "NGN")
        assert shown.group(1) == money(own + sum(row.margin_minor for row in everyone), "NGN")

    with schema_context("quickvend"):
        refund(order)
        sales.sale_reversed(sale=order.sale)
    reversed_row = quickvend_row()
    assert (reversed_row.cost_minor, reversed_row.margin_minor) == (before.cost_minor, before.margin_minor)

def test_sale_through_three_levels_then_reversal(tree, products):
    a, b, c = tree["agents"]
    reseller = Tenant.objects.get(schema_name="quickvend")
    float_before = float_balances(reseller=reseller)
    assert float_before.parent_balance == float_before.mirror_balance == 500_000
    with schema_context("ng"):
        ng_revenue, ng_provider = system_total("revenue"), system_total("provider_settlement")
    with schema_context("quickvend"):
        before = {agent.pk: balance(agent.user) for agent in (a, b, c)}
        assert before == {a.pk: 100_000, b.pk: 50_000, c.pk: 150_000}
        order = sell(product=products["ng_1gb"], buyer=c.user)

    # The breakdown: cost 1000.00 -> ng +5 % = 1050.00 (quickvend's cost) -> +10 % = 1155.00.
    breakdown = order.price_breakdown
    assert (breakdown["cost_minor"], breakdown["tenant_cost_minor"], breakdown["price_minor"]) == (
        100_000, 105_000, 115_500)
    lines = [(line["account_kind"], line["party"], line["level"], line["amount_minor"]) for line in breakdown["lines"]]
    assert lines == [
        ("provider_settlement", "operator", 0, 5_000),
        # The reseller keeps 105.00 - 51.97 of commissions = 53.03, VAT 7.5 % included (docs/tax.md):
        # 5 303 × 10 000 / 10 750 = 4 933.02 -> 4 933 net, 370 VAT.
        ("revenue", "reseller", 0, 4_933),
        ("tax_payable_vat", "tax:vat", 0, 370),
        ("commissions_payable", f"agent:{c.public_id}", 1, 3_465),   # 3 % of 1155.00
        ("commissions_payable", f"agent:{b.public_id}", 2, 1_155),   # 1 %
        ("commissions_payable", f"agent:{a.public_id}", 3, 577),     # 0.5 %, floored
    ]

    with schema_context("quickvend"):
        sales.sale_settled(sale=order.sale)  # a repeated settlement hook pays nothing twice
        assert balance(c.user) == before[c.pk] - 115_500 + 3_465
        assert balance(b.user) == before[b.pk] + 1_155
        assert balance(a.user) == before[a.pk] + 577
        assert CommissionPosting.objects.filter(order_ref=str(order.public_id)).count() == 3
        assert system_total("commissions_payable") == 0
        assert system_total("provider_settlement") == 0  # the float paid what quickvend owed upstream
        assert system_total("float_at_parent") == -(500_000 - 105_000)
        assert_ledger_balanced()
    with schema_context("ng"):
        # The operator's 50.00 margin, VAT included: 5 000 × 10 000 / 10 750 = 4 651.16 -> 4 651 (349 VAT).
        assert system_total("revenue") - ng_revenue == 4_651
        assert system_total("provider_settlement") - ng_provider == 100_000
        assert_ledger_balanced()
    after_sale = float_balances(reseller=reseller)
    assert after_sale.parent_balance == after_sale.mirror_balance == 500_000 - 105_000
    call_command("reconcile_resellers")  # raises CommandError on any disagreement

    # Statements and reports.
    statement = call(tree["site"], "GET", "/api/agents/me/statement", token=tree["tokens"]["c"]).json()
    assert statement["available"] == "379.65" and statement["commissions"][0]["amount"] == "34.65"
    assert all(line["entry_type_label"] not in ("", line["entry_type"]) for line in statement["lines"])
    report = call(tree["site"], "GET", "/api/agents/commissions", token=tree["admin"]).json()
    assert {(row["email"], row["level"], row["net"]) for row in report} == {
        ("agent-c@qv.test", 1, "34.65"), ("agent-b@qv.test", 2, "11.55"), ("agent-a@qv.test", 3, "5.77")}

    # Reversal: the purchase path refunds the buyer, then every commission and the float draw come back.
    with schema_context("quickvend"):
        refund(order)  # the reversal and its hook, one transaction
        sales.sale_reversed(sale=order.sale)  # repeated: nothing more
        assert {agent.pk: balance(agent.user) for agent in (a, b, c)} == before
        assert set(CommissionPosting.objects.filter(order_ref=str(order.public_id))
                   .values_list("status", flat=True)) == {"clawed_back"}
        assert system_total("commissions_payable") == system_total("revenue") == 0
        assert system_total("provider_settlement") == 0
        assert_ledger_balanced()
    with schema_context("ng"):
        assert system_total("revenue") == ng_revenue and system_total("provider_settlement") == ng_provider
        assert_ledger_balanced()
    back = float_balances(reseller=reseller)
    assert back.parent_balance == back.mirror_balance == 500_000
    call_command("reconcile_resellers")
    report = call(tree["site"], "GET", "/api/agents/commissions", token=tree["admin"]).json()
    assert {row["net"] for row in report} == {"0.00"}


def test_a_short_float_refuses_the_draw_and_writes_nothing(tree):
    reseller = Tenant.objects.get(schema_name="quickvend")
    with schema_context("quickvend"):
        entries = JournalEntry.objects.count()
    with schema_context("ng"):
        ng_entries = JournalEntry.objects.count()
    with pytest.raises(InsufficientFunds):
        draw_float(reseller=reseller, order_ref=str(uuid.uuid4()), provider_cost_minor=490_000,
                   operator_margin_minor=20_000, currency="NGN")
    with schema_context("quickvend"):
        assert JournalEntry.objects.count() == entries
    with schema_context("ng"):
        assert JournalEntry.objects.count() == ng_entries
    assert float_balances(reseller=reseller).parent_balance == 500_000


def test_clawback_of_a_spent_commission_becomes_a_receivable(tree, products):
    a, b, c = tree["agents"]
    with schema_context("quickvend"):
        order = sell(product=products["ng_1gb"], buyer=c.user)
        # A spends everything it has (a transfer to B) before the reversal.
        from tenant_apps.ledger.services import transfer, wallet_for
        transfer(source=wallet_for(user=a.user), destination=wallet_for(user=b.user), amount=balance(a.user),
                 reference="spend-all")
        refund(order)
        assert balance(a.user) == 0
        row = CommissionPosting.objects.get(order_ref=str(order.public_id), agent=a)
        assert row.status == "clawed_back" and row.clawback_shortfall_minor == 577
        assert system_total("suspense") == -577  # owed by agent A
        assert system_total("commissions_payable") == 0
        assert_ledger_balanced()


def test_reconciliation_flags_a_sale_whose_float_draw_is_missing(tree, products):
    from django.core.management.base import CommandError

    c = tree["agents"][2]
    with schema_context("quickvend"):
        order = sell(product=products["ng_1gb"], buyer=c.user, hooks=False)  # settled without its float draw
    with pytest.raises(CommandError):
        call_command("reconcile_resellers")
    with schema_context("quickvend"):
        sales.sale_settled(sale=order.sale)  # no hold to settle: a plain draw
    call_command("reconcile_resellers")
