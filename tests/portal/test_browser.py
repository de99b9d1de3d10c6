"""Real-browser journeys (Chromium from Debian, driven by Playwright) against a real server process.

Data the server must see is committed (``live_db``): every test creates its own
uniquely named users/tenants. Screenshots go to test-artifacts/portal/.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django_tenants.utils import schema_context

from tests.accounts.helpers import PASSWORD, make_user, outbox_code

from .browser import fast_polls, screenshot, until_polled


@pytest.fixture(scope="module")
def purchase_stack(django_db_setup, django_db_blocker):
    """What a first purchase needs behind the pages: VTPass/MTN (NG) and the aggregator (SN) simulators with
    their synced catalogs, the Paystack simulator as NG's checkout, and one real Celery worker (as tests/orders)."""
    from django.test import override_settings

    from provider_plugins.aggregator.simulator import DEFAULT_CREDENTIALS
    from provider_plugins.paystack.simulator import PaystackSimulator
    from shared_apps.catalog.services import catalog_sync_provider
    from shared_apps.providers.models import Provider, ProviderStatus
    from shared_apps.providers.services import provider_register
    from tenant_apps.wallet.demo import gateway_provider_spec
    from tests.fixtures.purchase import build_stack
    from tests.support.processes import settlement

    sims, stack, env = build_stack(django_db_blocker)
    paystack = PaystackSimulator().start()
    extra = []
    try:
        with django_db_blocker.unblock():
            extra.append(provider_register(**gateway_provider_spec(country="NG", key="paystack", base_url=paystack.url,
                                                                   priority=1)))
            senegal = provider_register(name=f"Aggregator SN {stack.breaker_prefix[-6:]}", country="SN",
                                        plugin_key="aggregator", base_url=sims.aggregator.url,
                                        capabilities=["airtime", "data"], credentials=dict(DEFAULT_CREDENTIALS),
                                        options={"countries": ["SN"]}, routing_priority=1, timeout_seconds=2)
            catalog_sync_provider(provider_id=senegal.pk)
            extra.append(senegal)
        with override_settings(ORDERS_BREAKER_PREFIX=stack.breaker_prefix), settlement(**env) as (worker, _dispatcher):
            stack.worker, stack.paystack = worker, paystack
            yield stack
    finally:
        with django_db_blocker.unblock():
            stack.retire()
            Provider.objects.filter(pk__in=[p.pk for p in extra]).update(status=ProviderStatus.DISABLED)
        for sim in (sims.vtpass, sims.dtone, sims.sms, sims.aggregator, paystack):
            sim.stop()


def buy_airtime(page, base: str, *, amount: str, network: str, shot: str) -> None:
    """From the wallet: Buy -> airtime for my own number (network detected as it is typed) -> the receipt,
    which turns from processing to delivered in place (htmx polling, no reload; the page's clock moved on to each
    poll)."""
    page.get_by_role("link", name=re.compile("Buy airtime|Crédit, internet")).first.click()
    page.locator("a[href='/buy/airtime']").first.click()
    page.wait_for_url(f"{base}/buy/airtime")
    number = page.locator("#id_recipient_phone")
    own = number.input_value()
    number.fill("")
    number.press_sequentially(own, delay=10)  # htmx asks the server for the network as the number is typed
    page.get_by_test_id("network").filter(has_text=network).wait_for()
    page.get_by_test_id("offers").locator("input[type=radio]").first.check()
    page.locator("#id_amount").fill(amount)
    screenshot(page, f"{shot}-6-buy-airtime-360")
    fast_polls(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
    url = page.url
    until_polled(page, page.locator("#receipt-status[data-final=true]"))  # swapped in place
    assert page.url == url  # no reload, no navigation
    screenshot(page, f"{shot}-7-receipt-360")

def server_user(schema: str, **fields):
    """A committed user whose password the server process can check.

    The password is hashed with MD5 explicitly: the server runs settings.test
    (MD5 only), while this process's hasher list may have been changed by an
    earlier test in a full run.
    """
    from django.contrib.auth.hashers import MD5PasswordHasher

    hasher = MD5PasswordHasher()
    if schema == "public":
        from tenant_apps.accounts.models import User

        user = User.objects.create_user(password=None, **fields)
    else:
        user = make_user(schema, **fields)
    with schema_context(schema):
        type(user).objects.filter(pk=user.pk).update(password=hasher.encode(PASSWORD, hasher.salt()))
    return user


def unique_phone(prefix: str = "0803") -> str:
    return f"{prefix}{uuid.uuid4().int % 10_000_000:07d}"


def sign_up(page, base: str, *, email: str, phone: str, e164: str, sms_simulator, shot: str) -> None:
    page.goto(f"{base}/signup")
    page.get_by_label(re.compile("Email|E-mail")).fill(email)
    page.get_by_label(re.compile("Mobile number|Numéro de mobile")).fill(phone)
    page.get_by_label(re.compile("Password|Mot de passe")).fill(PASSWORD)
    screenshot(page, f"{shot}-1-signup")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/verify")
    page.get_by_label(re.compile("Code")).fill(outbox_code(sms_simulator.url, e164))
    screenshot(page, f"{shot}-2-verify")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/wallet")


def log_in(page, base: str, email: str, *, expect_success: bool = True) -> None:
    page.goto(f"{base}/login")
    page.locator("#id_email").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    if expect_success and "/login" in page.url:
        alerts = page.get_by_role("alert").all_inner_texts()
        raise AssertionError(f"login of {email} refused on {base}: {alerts}")


def test_sign_up_to_first_airtime_purchase_on_ng(live_db, portal_url, new_page, sms_simulator, purchase_stack):
    base = portal_url.format(host="ng.localhost")
    page = new_page(mobile=True)
    phone = f"0803{uuid.uuid4().int % 10_000:04d}123"  # an MTN number no simulator treats as a fault
    email = f"browser-{uuid.uuid4().hex[:8]}@example.com"
    sign_up(page, base, email=email, phone=phone, e164="+234" + phone[1:], sms_simulator=sms_simulator, shot="ng")
    assert page.get_by_test_id("available").inner_text() == "₦0.00"
    assert page.get_by_test_id("brand-name").inner_text().strip() == "NexusTop Nigeria"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone
    screenshot(page, "ng-3-wallet-360")
    page.set_viewport_size({"width": 1280, "height": 860})
    screenshot(page, "ng-4-wallet-desktop")
    with schema_context("ng"):
        from tenant_apps.accounts.models import User

        assert User.objects.get(email=email).phone_verified_at is not None
    page.set_viewport_size({"width": 360, "height": 780})
    # Fund the wallet through the gateway's checkout page (the Paystack simulator), then come back.
    page.get_by_role("link", name="Add money").click()
    page.locator("#id_amount").fill("1000")
    page.locator("#id_gateway").select_option("paystack")
    page.get_by_role("button", name="Continue to payment").click()
    page.wait_for_url(f"{purchase_stack.paystack.url}/**")
    screenshot(page, "ng-5-checkout")
    page.get_by_role("button", name="Pay").click()
    page.wait_for_url(re.compile(r"/wallet/fund/[0-9a-f-]{36}"))
    page.locator("[data-testid=funding-status][data-status=succeeded]").wait_for()
    page.goto(f"{base}/wallet")
    assert page.get_by_test_id("available").inner_text() == "₦1,000.00"
    buy_airtime(page, base, amount="100", network="MTN Nigeria", shot="ng")
    assert page.get_by_test_id("order-status").inner_text() == "Delivered"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    with schema_context("ng"):
        from tenant_apps.orders.models import Order

        order = Order.objects.get(user__email=email)
        assert order.status == "settled" and order.recipient_phone == "+234" + phone[1:]
    page.goto(f"{base}/wallet")
    assert page.get_by_test_id("available").inner_text() == "₦901.06"  # 1 000.00 - 98.94 (the tenant's price)


def test_the_same_journey_in_french_on_sn(live_db, portal_url, new_page, sms_simulator, purchase_stack):
    base = portal_url.format(host="sn.localhost")
    page = new_page(mobile=True, locale="fr-SN")
    phone = f"77{uuid.uuid4().int % 10_000_000:07d}"
    page.goto(f"{base}/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("link", name="Créer un compte").is_visible()
    sign_up(page, base, email=f"browser-fr-{uuid.uuid4().hex[:8]}@example.com", phone=phone, e164="+221" + phone,
            sms_simulator=sms_simulator, shot="sn")
    assert page.get_by_role("heading", name="Portefeuille").is_visible()
    assert page.get_by_test_id("available").inner_text().replace("\u202f", " ").replace("\xa0", " ") == "0 CFA"
    assert page.get_by_test_id("statement-empty").inner_text() == "Aucune opération pour l'instant."
    screenshot(page, "sn-3-wallet-360")
    # Orange Money's checkout is a mobile push in Senegal: the wallet is credited through the service here.
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    with schema_context("sn"):
        from tenant_apps.accounts.models import User

        user = User.objects.get(phone="+221" + phone)
        fund_wallet(wallet=wallet_for(user=user), amount=5_000, reference=f"browser-sn-{uuid.uuid4().hex}")
    page.reload()
    buy_airtime(page, base, amount="500", network="Orange", shot="sn")
    assert page.get_by_test_id("order-status").inner_text() == "Livré"
    assert page.get_by_role("heading", name="Reçu").is_visible()
    with schema_context("sn"):
        from tenant_apps.orders.models import Order

        assert Order.objects.get(user=user).status == "settled"


def test_operator_approves_a_kyc_upgrade(live_db, portal_url, new_page, tmp_path):
    base = portal_url.format(host="ng.localhost")
    tag = uuid.uuid4().hex[:8]
    customer = server_user("ng", email=f"kyc-{tag}@example.com", phone=unique_phone("0806"))
    server_user("ng", email=f"support-{tag}@example.com", role="operator_support")
    document = tmp_path / "id.png"
    document.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 200)

    try:
        _kyc_journey(new_page, base, customer, tag, document)
    finally:
        # Committed data: leave no submission behind (other tests list the review queue).
        with schema_context("ng"):
            from tenant_apps.kyc.models import KycDocument, KycSubmission

            KycDocument.objects.filter(submission__user=customer).delete()
            KycSubmission.objects.filter(user=customer).delete()


def _kyc_journey(new_page, base, customer, tag, document):
    page = new_page()
    log_in(page, base, customer.email)
    page.goto(f"{base}/kyc")
    page.get_by_label("Identity document type").select_option("bvn")
    # Unique per run (committed data) and never one of tests/kyc's fixed numbers (222...); the verifier says "match".
    bvn = f"223{uuid.uuid4().int % 10**4:04d}5678"
    page.get_by_label("Identity number").fill(bvn)
    page.get_by_label("Identity document (photo or PDF)").set_input_files(str(document))
    page.get_by_role("button", name="Send for review").click()
    page.wait_for_url(f"{base}/kyc")
    assert "*******5678" in page.get_by_test_id("submission").first.inner_text()
    screenshot(page, "kyc-1-customer")

    operator = new_page(mobile=True)
    log_in(operator, base, f"support-{tag}@example.com")
    operator.goto(f"{base}/back-office/kyc")
    row = operator.get_by_test_id("kyc-row").filter(has_text=customer.email)
    screenshot(operator, "kyc-2-queue-360")
    row.get_by_role("button", name="Approve").click()
    row = operator.get_by_test_id("kyc-row").filter(has_text=customer.email)
    row.get_by_test_id("kyc-status").filter(has_text="Approved").wait_for()  # swapped in place by htmx
    screenshot(operator, "kyc-3-approved-360")
    with schema_context("ng"):
        from tenant_apps.kyc.models import KycSubmission

        assert KycSubmission.objects.get(user__email=customer.email).status == "approved"
    page.reload()
    assert "Approved" in page.get_by_test_id("submission").first.inner_text()


def test_head_office_creates_a_tenant(live_db, portal_url, new_page):
    tag = uuid.uuid4().hex[:6]
    server_user("public", email=f"ho-{tag}@nexustop.example", role="super_admin", is_staff=True)
    base = portal_url.format(host="localhost")
    page = new_page()
    page.goto(f"{base}/console/tenants")
    page.wait_for_url(re.compile(r"/console/login"))
    page.locator("#id_email").fill(f"ho-{tag}@nexustop.example")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/console/tenants")
    page.get_by_role("link", name="New tenant").click()
    page.locator("#id_kind").select_option("country_operation")
    page.locator("#id_name").fill(f"Browser Togo {tag}")
    page.locator("#id_country").select_option("TG")
    page.locator("#id_domain").fill(f"tg{tag}.localhost")
    page.locator("#id_admin_email").fill(f"admin@tg{tag}.example")
    page.locator("#id_primary_colour").fill("#7a1f5c")
    screenshot(page, "ho-1-create")
    page.get_by_role("button", name="Create tenant").click()
    page.wait_for_url(f"{base}/console/tenants/tg{tag}", timeout=60_000)
    assert page.get_by_test_id("tenant-status").inner_text() == "Active"
    screenshot(page, "ho-2-created")
    from tenants.models import Tenant

    tenant = Tenant.objects.get(schema_name=f"tg{tag}")
    assert (tenant.country, tenant.default_language, tenant.primary_colour) == ("TG", "fr", "#7a1f5c")
    visitor = new_page(mobile=True)
    visitor.goto(portal_url.format(host=f"tg{tag}.localhost") + "/")
    assert visitor.get_by_test_id("brand-name").inner_text().strip() == f"Browser Togo {tag}"


def test_two_tenants_render_their_own_name_and_colours(live_db, portal_url, new_page):
    from tenants.models import Tenant
    from tenants.services import Branding, tenant_provision

    tag = uuid.uuid4().hex[:6]
    tenant_provision(kind="reseller_brand", country="NG", name=f"Green Vend {tag}", domain=f"gv{tag}.localhost",
                     admin_email=f"admin@gv{tag}.example", parent=Tenant.objects.get(schema_name="ng"),
                     branding=Branding(primary_colour="#0F7B3F", accent_colour="#F4D03F",
                                       support_phone="+2348000000001"))
    seen = {}
    for host in ("ng.localhost", f"gv{tag}.localhost"):
        page = new_page(mobile=True)
        page.goto(portal_url.format(host=host) + "/")
        header = page.locator("header").first
        seen[host] = (page.get_by_test_id("brand-name").inner_text().strip(),
                      header.evaluate("element => getComputedStyle(element).backgroundColor"),
                      page.locator("link[rel=icon]").get_attribute("href"))
        screenshot(page, f"branding-{host.split('.')[0][:2]}")
    assert seen["ng.localhost"][:2] == ("NexusTop Nigeria", "rgb(11, 95, 255)")
    assert seen[f"gv{tag}.localhost"][:2] == (f"Green Vend {tag}", "rgb(15, 123, 63)")
    assert seen["ng.localhost"][2] != seen[f"gv{tag}.localhost"][2]  # the favicon is branded too


def test_a_user_of_one_tenant_cannot_reach_another_tenants_pages(live_db, portal_url, new_page):
    tag = uuid.uuid4().hex[:8]
    server_user("ng", email=f"cross-{tag}@example.com", phone=unique_phone("0807"))
    server_user("ng", email=f"cross-admin-{tag}@example.com", role="operator_admin")
    ng = portal_url.format(host="ng.localhost")
    gh = portal_url.format(host="gh.localhost")
    page = new_page()
    log_in(page, ng, f"cross-admin-{tag}@example.com")
    page.goto(f"{ng}/back-office/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    for path in ("/back-office/", "/back-office/kyc", "/wallet"):
        page.goto(f"{gh}{path}")
        assert page.url.startswith(f"{gh}/login"), page.url  # not logged in over there
    log_in(page, gh, f"cross-{tag}@example.com", expect_success=False)  # ng's credentials mean nothing on gh
    assert page.url.startswith(f"{gh}/login")
    assert page.get_by_role("alert").first.inner_text() == "Email or password is incorrect."
    screenshot(page, "cross-tenant-refused")
    customer = new_page()
    log_in(customer, ng, f"cross-{tag}@example.com")
    response = customer.goto(f"{ng}/back-office/users")
    assert response.status == 403
