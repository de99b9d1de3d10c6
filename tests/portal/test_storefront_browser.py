"""Real-browser journeys of issue 21: the storefront at 360 px (prices, the installable app working offline,
a customer's one-tap "buy again") and a bulk top-up uploaded, confirmed and followed to its results.

One VTPass/MTN simulator stack and ONE real Celery worker for the module (tests/orders' ``build_stack``),
the session's page server; data committed (``live_db``) and uniquely named. Every page is watched for
Content-Security-Policy violations (``new_page``). Screenshots: test-artifacts/portal/storefront-*.png,
bulk-*.png.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.orders.helpers import wait_for

from .browser import ARTIFACTS, fast_polls, screenshot, until_polled
from .test_browser import log_in, server_user


@pytest.fixture(scope="module")
def shop_stack(django_db_setup, django_db_blocker):
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


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_the_storefront_at_360_px_works_offline_and_buys_again_in_one_tap(live_db, portal_url, new_page, shop_stack):
    from django.db import transaction

    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tenant_apps.orders import services
    from tenant_apps.orders.models import Order

    base = portal_url.format(host="ng.localhost")
    page = new_page(mobile=True)
    page.goto(f"{base}/")
    page.get_by_test_id("network-shelf").first.wait_for()
    mtn = page.locator("[data-testid=network-shelf][data-network=mtn]")
    assert mtn.get_by_role("heading", name=re.compile("MTN")).is_visible()
    assert mtn.get_by_test_id("bundle").count() >= 1 and mtn.get_by_test_id("airtime-price").count() >= 1
    assert page.get_by_role("link", name="Create an account").is_visible()
    _no_sideways_scroll(page)
    screenshot(page, "storefront-1-visitor-360")
    # The installable app: the manifest is the tenant's, the service worker takes over, pages work offline.
    assert page.locator("link[rel=manifest]").get_attribute("href") == "/manifest.webmanifest"
    state = page.evaluate("navigator.serviceWorker.ready.then(r => r.active ? r.active.state : '')")
    assert state in ("activating", "activated")
    page.reload()  # now controlled by the worker
    wait_for(lambda: page.evaluate("!!navigator.serviceWorker.controller"), what="the service worker to control")
    page.context.set_offline(True)
    try:
        page.goto(f"{base}/buy")
        page.get_by_test_id("offline").wait_for()
        assert "offline" in page.get_by_role("heading").first.inner_text().lower()
        _no_sideways_scroll(page)
        screenshot(page, "storefront-3-offline-360")
    finally:
        page.context.set_offline(False)

    # A customer with an earlier purchase gets it back as one tap; the tap buys through the purchase form.
    tag = uuid.uuid4().hex[:8]
    phone = f"+234803{uuid.uuid4().int % 10**7:07d}"
    user = server_user("ng", email=f"shopper-{tag}@example.com", phone=phone)
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=user), amount=500_000, reference=f"shopper-{tag}")
        with transaction.atomic():
            first = services.purchase_create(user=user, product_id=shop_stack.products["vt_airtime"].pk,
                                             recipient_phone=phone, amount_minor=20_000)
        Order.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=3))
    shopper = new_page(mobile=True)
    log_in(shopper, base, user.email)
    shopper.goto(f"{base}/")
    item = shopper.get_by_test_id("quick-buy-item").first
    item.wait_for()
    _no_sideways_scroll(shopper)
    screenshot(shopper, "storefront-2-quick-buy-360")
    fast_polls(shopper)
    item.get_by_role("button", name=re.compile("Buy again for")).click()
    shopper.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    until_polled(shopper, shopper.locator("#receipt-status[data-final=true]"))
    assert shopper.get_by_test_id("order-status").inner_text() == "Delivered"
    screenshot(shopper, "storefront-4-receipt-360")
    with schema_context("ng"):
        assert Order.objects.filter(user=user).count() == 2
    # Share the receipt: anyone with the link sees it, without logging in, the number masked.
    shopper.get_by_test_id("receipt-share").click()
    link = shopper.get_by_test_id("share-url").input_value()
    assert re.fullmatch(rf"{re.escape(base)}/r/[A-Za-z0-9_-]{{32}}", link), link
    visitor = new_page(mobile=True)
    visitor.goto(link)
    visitor.get_by_test_id("shared-receipt").wait_for()
    assert phone not in visitor.content() and visitor.get_by_test_id("shared-tax-vat").is_visible()
    _no_sideways_scroll(visitor)
    screenshot(visitor, "storefront-5-shared-receipt-360")


def test_an_agent_uploads_a_bulk_file_confirms_once_and_downloads_the_results(live_db, portal_url, new_page,
                                                                               shop_stack, tmp_path):
    from tenant_apps.agents.services import add_agent
    from tenant_apps.bulk.models import BulkBatch
    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tenant_apps.orders.models import Order

    tag = uuid.uuid4().hex[:8]
    user = server_user("ng", email=f"bulk-{tag}@example.com", role="agent",
                       phone=f"+234806{uuid.uuid4().int % 10**7:07d}")
    with schema_context("ng"):
        add_agent(user=user, parent=None)
        fund_wallet(wallet=wallet_for(user=user), amount=1_000_000, reference=f"bulk-browser-{tag}")
    numbers = [shop_stack.phone() for _ in range(5)]
    bundle = shop_stack.products["vt_data"].pk
    lines = ["number,product,amount", f"{numbers[0]},,100", f"{numbers[1]},,200", f"{numbers[2]},{bundle},",
             f"{numbers[3]},,50", "12345,,100", f"{numbers[4]},{bundle},"]
    path = tmp_path / f"topups-{tag}.csv"
    path.write_text("\r\n".join(lines) + "\r\n")

    base = portal_url.format(host="ng.localhost")
    page = new_page(mobile=True)
    log_in(page, base, user.email)
    page.get_by_role("link", name="Bulk top-up").click()
    page.wait_for_url(f"{base}/agent/bulk")
    page.locator("#id_file").set_input_files(str(path))
    screenshot(page, "bulk-1-upload-360")
    page.get_by_role("button", name="Check the file").click()
    page.wait_for_url(re.compile(r"/agent/bulk/[0-9a-f-]{36}$"))
    assert page.get_by_test_id("bulk-valid").inner_text() == "5"
    assert page.get_by_test_id("bulk-invalid").inner_text() == "1"
    bad = page.locator("[data-testid=bulk-row][data-status=invalid]")
    assert bad.count() == 1 and bad.get_attribute("data-line") == "6"
    _no_sideways_scroll(page)
    screenshot(page, "bulk-2-preview-360")
    fast_polls(page)
    page.get_by_role("button", name=re.compile("Confirm and buy 5 top-ups")).click()
    until_polled(page, page.locator("[data-testid=bulk-progress][data-status=completed][data-open-orders='0']"),
                 timeout=40)
    assert page.get_by_test_id("bulk-ordered").inner_text() == "5"
    assert page.locator("[data-testid=bulk-row] .badge-settled").count() == 5  # every order delivered
    _no_sideways_scroll(page)
    screenshot(page, "bulk-3-results-360")
    with page.expect_download() as download:
        page.get_by_test_id("bulk-results-link").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text())))
    assert [row["result"] for row in rows] == ["ordered"] * 4 + ["invalid", "ordered"]
    assert {row["order_status"] for row in rows if row["result"] == "ordered"} == {"delivered"}
    (ARTIFACTS / "bulk-results.csv").write_text(download.value.path().read_text())
    with schema_context("ng"):
        batch = BulkBatch.objects.get(user=user)
        assert batch.status == "completed"
        orders = Order.objects.filter(user=user)
        assert orders.count() == 5 and {order.status for order in orders} == {"settled"}
        assert wallet_for(user=user).balance == 1_000_000 - sum(order.price_minor for order in orders)
