"""The storefront (each tenant's home page) and the installable app, through Django's test client.

Prices on the page are what a purchase charges (same product, a customer buying through the API), the
price list is cached per tenant and follows every price and catalogue change at once (a reseller's
follows its operation's too), a customer's "buy again" runs the purchase form once per tap, and the
app's manifest, icons, service worker and offline page are the tenant's and keep to the
Content-Security-Policy.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from tests.orders.helpers import buy, new_buyer
from tests.security.test_csp import assert_protected

from .test_shop_pages import customer, logged_in, mtn_number

pytestmark = pytest.mark.django_db

BUNDLE = re.compile(r'data-testid="bundle" data-product-id="(\d+)" data-price-minor="(\d+)"')
AIRTIME = re.compile(r'data-testid="airtime-price" data-product-id="(\d+)" data-face-minor="(\d+)" '
                     r'data-price-minor="(\d+)"')


@pytest.fixture(scope="module")
def catalog(django_db_setup, django_db_blocker):
    from tests.fixtures.purchase import build_stack

    sims, stack, _env = build_stack(django_db_blocker)
    try:
        yield stack
    finally:
        with django_db_blocker.unblock():
            stack.retire()
        for sim in (sims.vtpass, sims.dtone, sims.sms, sims.aggregator):
            sim.stop()


def shelf(html: str, network: str) -> str:
    start = html.index(f'data-network="{network}"')
    end = html.find('data-testid="network-shelf"', start + 10)
    return html[start:end if end > 0 else len(html)]


def prices(html: str, network: str = "mtn") -> tuple[dict[int, int], dict[tuple[int, int], int]]:
    part = shelf(html, network)
    bundles = {int(product): int(price) for product, price in BUNDLE.findall(part)}
    airtime = {(int(product), int(face)): int(price) for product, face, price in AIRTIME.findall(part)}
    return bundles, airtime


def test_a_visitor_sees_the_prices_a_purchase_charges(catalog, host_client):
    from tenant_apps.ledger.currency import to_minor

    page = host_client("ng.localhost").get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Create an account" in html and 'data-network="mtn"' in html
    bundles, airtime = prices(html)
    assert bundles and airtime
    # The same product bought by a customer through the API costs exactly what the storefront says.
    _user, token = new_buyer(1_000_000)
    product_id, price = next(iter(bundles.items()))
    response = buy(token, type("P", (), {"pk": product_id}), mtn_number())
    assert response.status_code == 202, response.content
    assert to_minor(response.json()["price"], "NGN") == price
    (product_id, face), price = next(iter(airtime.items()))
    face_text = f"{face // 100}.{face % 100:02d}"
    response = buy(token, type("P", (), {"pk": product_id}), mtn_number(), amount=face_text)
    assert response.status_code == 202, response.content
    assert to_minor(response.json()["price"], "NGN") == price
    assert f"₦{price // 100:,}.{price % 100:02d}" in html  # shown as the money filter writes it


def test_the_price_list_is_cached_per_tenant_and_follows_price_and_catalogue_changes(
        catalog, host_client, django_assert_max_num_queries):
    from shared_apps.catalog.models import Product
    from tenant_apps.pricing.quotes import quote_price
    from tenant_apps.pricing.services import price_rule_create

    visitor = host_client("ng.localhost")
    before, _ = prices(visitor.get("/").content.decode())
    with django_assert_max_num_queries(4):  # cached: the tenant, nothing about products or prices
        assert visitor.get("/").status_code == 200
    product_id = next(iter(before))
    product = Product.objects.get(pk=product_id)
    with schema_context("ng"):
        price_rule_create(mode="percent", percent_bp=1_500, product_id=product_id)
        expected = quote_price(product=product).price_minor
    after, _ = prices(visitor.get("/").content.decode())
    assert after[product_id] == expected and expected > before[product_id]
    # The reseller prices over its operation: the operation's change reaches quickvend's cached list too.
    qv = host_client("quickvend.localhost")
    qv_bundles, _ = prices(qv.get("/").content.decode())
    with schema_context("quickvend"):
        assert qv_bundles[product_id] == quote_price(product=product).price_minor > after[product_id]
    with schema_context("ng"):
        price_rule_create(mode="percent", percent_bp=3_000, product_id=product_id)
    with schema_context("quickvend"):
        assert prices(qv.get("/").content.decode())[0][product_id] == quote_price(product=product).price_minor
    # A product taken off sale (a bulk update, no signal) leaves every storefront at once.
    from tenant_apps.headoffice.services import console_product_update

    console_product_update(actor=None, product=product, name_fr=product.name_fr or "", name_pt=product.name_pt or "",
                           is_active=False)
    assert product_id not in prices(visitor.get("/").content.decode())[0]
    # Tenant-scoped: Senegal's storefront lists none of Nigeria's products.
    sn = host_client("sn.localhost").get("/").content.decode()
    assert f'data-product-id="{product_id}"' not in sn


def test_a_customer_buys_again_in_one_tap_and_a_double_tap_buys_once(catalog, host_client):
    from django.db import transaction

    from tenant_apps.orders import services
    from tenant_apps.orders.models import Order

    user = customer(500_000)
    with schema_context("ng"), transaction.atomic():
        first = services.purchase_create(user=user, product_id=catalog.products["vt_airtime"].pk,
                                         recipient_phone=user.phone, amount_minor=20_000)
        Order.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=2))
    client = logged_in(host_client, user)
    html = client.get("/").content.decode()
    assert 'data-testid="quick-buy"' in html
    form = re.search(r'<form method="post" action="(/buy/airtime)"[^>]*data-testid="quick-buy-item">(.*?)</form>',
                     html, re.S)
    assert form, html
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(2)))
    assert fields["recipient_phone"] == user.phone and fields["amount"] == "200.00"
    assert fields["idempotency_key"].startswith("page-")
    tap = client.post(form.group(1), fields)
    assert tap.status_code == 302 and tap["Location"].startswith("/orders/")
    again = client.post(form.group(1), fields)  # the same tap twice: the same receipt, one order
    assert again.status_code == 302 and again["Location"] == tap["Location"]
    with schema_context("ng"):
        assert Order.objects.filter(user=user).count() == 2


def test_agents_and_staff_still_land_on_their_pages(catalog, host_client):
    from tests.accounts.helpers import make_user

    admin = make_user("ng", email=f"sf-admin-{uuid.uuid4().hex[:6]}@ng.test", role="operator_admin")
    client = logged_in(host_client, admin)
    assert client.get("/")["Location"] == "/back-office/"
    # The dashboard's "Users by role": each role with its count beside it, one pill each (issue 21).
    dashboard = client.get("/back-office/").content.decode()
    pill = re.search(r'<li class="role-count" data-role="operator_admin"><span>Operator admin</span> '
                     r'<strong class="text-ink">(\d+)</strong></li>', dashboard)
    assert pill and int(pill.group(1)) >= 1


def test_the_app_manifest_icons_worker_and_offline_page_are_the_tenants(catalog, host_client):
    from PIL import Image

    client = host_client("quickvend.localhost")
    manifest = client.get("/manifest.webmanifest")
    assert manifest.status_code == 200 and manifest["Content-Type"] == "application/manifest+json"
    body = json.loads(manifest.content)
    assert body["name"] == "QuickVend" and body["start_url"].startswith("/") and body["display"] == "standalone"
    from tenants.models import Tenant

    assert body["theme_color"] == Tenant.objects.get(schema_name="quickvend").primary_colour
    sizes = {(icon["sizes"], icon["purpose"]) for icon in body["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= sizes
    for icon in body["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(png.content))
        assert f"{image.width}x{image.height}" == icon["sizes"]
    assert client.get("/pwa/icon-13.png").status_code == 404
    worker = client.get("/sw.js")
    assert worker.status_code == 200 and worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/" and "connect-src 'self'" in worker["Content-Security-Policy"]
    script = worker.content.decode()
    assert '"/offline"' in script and "/api/" in script and "nexustop-shell-" in script
    offline = client.get("/offline")
    assert_protected(offline, "offline page")
    assert "QuickVend" in offline.content.decode() and "csrfmiddlewaretoken" not in offline.content.decode()
    assert client.get("/pwa/brand.css").content.decode().startswith(":root{--brand-primary:")
    home = client.get("/")
    assert_protected(home, "storefront")
    assert 'rel="manifest" href="/manifest.webmanifest"' in home.content.decode()


def test_icons_are_drawn_from_the_logo_fetched_safely(db, settings):
    """A logo on a (local, test-allowed) web server is drawn into the icon; a metadata address is refused."""
    import http.server
    import threading

    from PIL import Image

    from shared_apps.core.brand_icons import brand_icon_png
    from shared_apps.core.branding import Brand

    logo = io.BytesIO()
    Image.new("RGB", (64, 64), (255, 0, 0)).save(logo, format="PNG")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(logo.getvalue())

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        def brand(url: str) -> Brand:
            return Brand(name=f"Logo {uuid.uuid4().hex[:4]}", logo_url=url, primary="#123456", accent="#ffcc00",
                         support_email="", support_phone="", language="en", is_head_office=False)

        drawn = Image.open(io.BytesIO(brand_icon_png(brand(f"http://127.0.0.1:{server.server_port}/logo.png"),
                                                     size=192))).convert("RGB")
        assert drawn.getpixel((96, 96)) == (255, 0, 0)  # the logo, in the middle
        refused = Image.open(io.BytesIO(brand_icon_png(brand("http://169.254.169.254/latest/logo.png"),
                                                       size=192))).convert("RGB")
        assert refused.getpixel((96, 96)) != (255, 0, 0)
        assert refused.getpixel((20, 96)) == (0x12, 0x34, 0x56)  # the initial on the brand colour instead
    finally:
        server.shutdown()
