"""Real-browser journeys of the agent portal and the back office, with the real purchase path.

One VTPass/MTN simulator stack and ONE real Celery worker for the module (tests/orders'
``build_stack``); the pages are served by the session's page server. Data is committed
(``live_db``) and uniquely named. Screenshots: test-artifacts/portal/agent-*.png, review-*.png.
"""

from __future__ import annotations

import uuid

import pytest
import requests
from django_tenants.utils import schema_context

from tests.orders.helpers import requeried, submitted, wait_final, wait_for

from .browser import fast_polls, screenshot, until_polled
from .test_browser import log_in, server_user


@pytest.fixture(scope="module")
def sale_stack(django_db_setup, django_db_blocker):
    from tests.fixtures.purchase import build_stack
    from tests.support.processes import settlement

    sims, stack, env = build_stack(django_db_blocker)
    try:
        with settlement(**env) as (worker, _dispatcher):
            stack.worker = worker
            yield stack
    finally:
        with django_db_blocker.unblock():
            stack.retire()
        for sim in (sims.vtpass, sims.dtone, sims.sms, sims.aggregator):
            sim.stop()


def test_agent_sells_airtime_to_a_walk_in_customer_on_quickvend(live_db, portal_url, new_page, sale_stack):
    from tenant_apps.agents.floats import float_balances, fund_float
    from tenant_apps.agents.services import add_agent
    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tenant_apps.pricing.quotes import quote_price
    from tenants.models import Tenant

    tag = uuid.uuid4().hex[:8]
    agent_phone = f"+234806{uuid.uuid4().int % 10**7:07d}"
    user = server_user("quickvend", email=f"till-{tag}@qv.test", role="agent", phone=agent_phone)
    with schema_context("quickvend"):
        add_agent(user=user, parent=None)
        fund_wallet(wallet=wallet_for(user=user), amount=200_000, reference=f"till-{tag}")
        # quickvend's float is funded with exactly what this sale draws, so it ends where it started
        # (tests/agents assert absolute float balances).
        cost = quote_price(product=sale_stack.products["vt_airtime"], amount_minor=10_000, buyer=user).tenant_cost_minor
    assert cost is not None  # a reseller's quote has its cost
    fund_float(reseller=Tenant.objects.get(schema_name="quickvend"), amount_minor=cost, reference=f"f-{tag}")
    float_before = float_balances(reseller=Tenant.objects.get(schema_name="quickvend")).parent_balance
    base = portal_url.format(host="quickvend.localhost")
    walk_in = sale_stack.phone()

    page = new_page(mobile=True)
    log_in(page, base, user.email)
    page.wait_for_url(f"{base}/agent/sell")
    page.get_by_label("Customer's phone number").fill(walk_in)  # products appear for the detected network
    page.get_by_test_id("network").filter(has_text="MTN").wait_for()
    page.locator("input[name=product]").first.check()
    page.locator("#id_amount").fill("100")
    screenshot(page, "agent-1-sell-360")
    page.get_by_role("button", name="Review the sale").click()
    page.get_by_role("button", name="Confirm and sell").wait_for()
    screenshot(page, "agent-2-confirm-360")
    fast_polls(page)
    page.get_by_role("button", name="Confirm and sell").click()
    page.wait_for_url(f"{base}/agent/sales/**")
    until_polled(page, page.get_by_test_id("receipt-status").filter(has_text="Delivered"), timeout=25)  # htmx polling
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "agent-3-receipt-360")
    public_id = page.url.rsplit("/", 1)[-1]
    order = wait_final(public_id, schema="quickvend")
    assert order.status == "settled" and order.recipient_phone.endswith(walk_in[1:])
    with schema_context("quickvend"):
        assert wallet_for(user=user).balance == 200_000 - order.price_minor
    reseller = Tenant.objects.get(schema_name="quickvend")
    wait_for(lambda: float_balances(reseller=reseller).parent_balance == float_before - cost, what="the float draw")
    # The outcome SMS is the tenant's: QuickVend's name, not the platform's. The worker sends it after the
    # settlement the receipt showed: waited for, like the float draw.
    def texts() -> list[str]:
        return [m["sms"] for m in requests.get(f"{sale_stack.sms.url}/outbox.json", params={"to": agent_phone},
                                               timeout=5).json()["messages"]]

    wait_for(lambda: any("QuickVend" in text for text in texts()), what="the outcome SMS naming QuickVend")


def test_operator_resolves_a_stuck_order_in_the_back_office(live_db, portal_url, new_page, sale_stack, settings):
    from tenant_apps.ledger.services import wallet_for
    from tenant_apps.orders.models import Order
    from tenant_apps.orders.services.create import purchase_create
    from tests.orders.helpers import new_buyer, order_tasks_swallowed

    sale_stack.vtpass.pending_requeries = 10_000  # the provider never answers for this one
    buyer, _token = new_buyer(50_000)
    with order_tasks_swallowed(), schema_context("ng"):  # this test drives the order itself
        from django.db import transaction

        with transaction.atomic():
            order = purchase_create(user=buyer, product_id=sale_stack.products["vt_airtime"].pk,
                                    recipient_phone=sale_stack.phone("9991"), amount_minor=10_000)
        # Sent now, in this process, unless the stack's dispatcher (NOTIFYed by the outbox row) claimed it first:
        # either way the provider's answer leaves it pending.
        submitted(order.pk)
        wait_for(lambda: Order.objects.filter(pk=order.pk, status="pending").exists())
        settings.ORDERS_REQUERY_MAX = 1
        assert requeried(order.pk).status == "manual_review"
    tag = uuid.uuid4().hex[:8]
    server_user("ng", email=f"review-{tag}@example.com", role="operator_admin")  # requery + resolve
    base = portal_url.format(host="ng.localhost")
    page = new_page()
    try:
        log_in(page, base, f"review-{tag}@example.com")
        page.goto(f"{base}/back-office/orders?review=on")
        page.get_by_role("link", name=order.public_id.hex[:10]).click()
        page.get_by_test_id("order-status").filter(has_text="Waiting for manual review").wait_for()
        page.get_by_role("button", name="Ask the provider again").click()
        page.get_by_test_id("review-notice").filter(has_text="still has no final answer").wait_for()
        screenshot(page, "review-1-stuck")
        page.get_by_label("What the provider's statement shows").fill("on VTPass statement")
        page.get_by_role("button", name="Delivered", exact=True).click()
        page.get_by_test_id("order-status").filter(has_text="Delivered").wait_for()  # swapped in place by htmx
        screenshot(page, "review-2-resolved")
    finally:
        sale_stack.vtpass.pending_requeries = 1
    with schema_context("ng"):
        order = Order.objects.get(pk=order.pk)
        assert order.status == "settled"
        assert wallet_for(user=buyer).balance == 50_000 - order.price_minor
