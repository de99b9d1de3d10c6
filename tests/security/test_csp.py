"""Issue 14 (smaller items): a Content-Security-Policy on every page; Swagger UI served by the platform.

Every kind of page (customer portal, agent pages, back office, head-office console, Django admin,
Swagger UI, the suspended-tenant page) answers with a policy that allows scripts and styles from
this origin only, inline ones only with the request's nonce; and the markup keeps to it: no inline
script or style without that nonce, no style attribute, no event-handler attribute, no script or
stylesheet from another origin (Swagger UI's files come from drf-spectacular-sidecar, not a CDN).
The browser side (Chromium reports no violation, Swagger UI renders) is tests/portal/test_csp_browser.py.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth import get_user_model

from tests.accounts.helpers import PASSWORD, make_user

pytestmark = pytest.mark.django_db

TAG = re.compile(r"<(script|style|link)\b([^>]*)>", re.IGNORECASE)
ATTRIBUTE = re.compile(r"""\s([a-zA-Z-]+)\s*=\s*("[^"]*"|'[^']*')""")


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def markup_problems(html: str, nonce: str) -> list[str]:
    problems = []
    for name, attributes in TAG.findall(html):
        attrs = {key.lower(): value.strip("\"'") for key, value in ATTRIBUTE.findall(" " + attributes)}
        url = attrs.get("src") or (attrs.get("href") if attrs.get("rel") == "stylesheet" else None)
        if url and re.match(r"^(https?:)?//", url):
            problems.append(f"<{name}> from another origin: {url}")
        inline = name.lower() == "style" or (name.lower() == "script" and not url
                                             and attrs.get("type") not in ("application/json",))
        if inline and attrs.get("nonce") != nonce:
            problems.append(f"inline <{name}> without the request's nonce")
    if re.search(r"""<[^>]+\sstyle\s*=""", html, re.IGNORECASE):
        problems.append("style attribute")
    if re.search(r"""<[^>]+\son[a-z]+\s*=""", html, re.IGNORECASE):
        problems.append("event-handler attribute")
    if "javascript:" in html.lower():
        problems.append("javascript: URL")
    return problems


def assert_protected(response, label: str) -> None:
    assert response.status_code in (200, 400, 403), (label, response.status_code)
    policy = policy_of(response)
    nonces = [src for src in policy["script-src"] if src.startswith("'nonce-")]
    assert nonces and policy["style-src"] == ["'self'", nonces[0]], (label, policy)
    assert "'unsafe-inline'" not in response["Content-Security-Policy"], label
    assert "'unsafe-eval'" not in response["Content-Security-Policy"], label
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"], label
    assert policy["base-uri"] == ["'none'"] and policy["default-src"] == ["'self'"], label
    nonce = nonces[0][len("'nonce-"):-1]
    html = response.content.decode()
    assert markup_problems(html, nonce) == [], (label, markup_problems(html, nonce))


def test_every_kind_of_page_has_a_policy_its_markup_keeps(host_client, tenants):
    from tenants.models import Tenant

    ng = host_client("ng.localhost")
    for path in ("/", "/login", "/signup"):
        assert_protected(ng.get(path), f"portal {path}")
    make_user("ng", email="csp-admin@ng.test", role="operator_admin", phone="+2348031119301")
    ng.post("/login", {"email": "csp-admin@ng.test", "password": PASSWORD})
    for path in ("/wallet", "/back-office/", "/back-office/applications", "/back-office/pricing",
                 "/back-office/orders", "/back-office/kyc", "/back-office/users"):
        assert_protected(ng.get(path), f"back office {path}")

    quickvend = host_client("quickvend.localhost")
    make_user("quickvend", email="csp-agent@qv.test", role="agent", phone="+2348031119302")
    from django_tenants.utils import schema_context

    from tenant_apps.accounts.models import User
    from tenant_apps.agents.services import add_agent

    with schema_context("quickvend"):
        add_agent(user=User.objects.get(email="csp-agent@qv.test"), parent=None)
    quickvend.post("/login", {"email": "csp-agent@qv.test", "password": PASSWORD})
    for path in ("/agent/sell", "/agent/team", "/agent/wallet"):
        assert_protected(quickvend.get(path), f"agent {path}")

    console = host_client("localhost")
    assert_protected(console.get("/console/login"), "console login")
    root = f"root-{uuid.uuid4().hex[:6]}@nexustop.test"
    get_user_model().objects.create_superuser(root, PASSWORD)
    console.post("/console/login", {"email": root, "password": PASSWORD})
    for path in ("/console/tenants", "/console/providers", "/console/analytics", "/console/catalog"):
        assert_protected(console.get(path), f"console {path}")

    admin = host_client("localhost")
    assert_protected(admin.get("/admin/login/"), "admin login")
    admin.post("/admin/login/?next=/admin/", {"username": root, "password": PASSWORD, "next": "/admin/"})
    for path in ("/admin/", "/admin/tenants/tenant/", "/admin/accounts/user/add/"):
        assert_protected(admin.get(path), f"admin {path}")

    for client in (ng, console):
        assert_protected(client.get("/api/docs/"), "swagger ui")

    Tenant.objects.filter(schema_name="gh").update(status="suspended")
    from tenants.middleware import clear_routing_cache

    clear_routing_cache()
    assert_protected(host_client("gh.localhost").get("/", HTTP_ACCEPT="text/html"), "suspended page")


def test_each_response_gets_its_own_nonce_and_json_gets_the_strictest_policy(host_client, tenants):
    client = host_client("ng.localhost")
    first, second = policy_of(client.get("/login")), policy_of(client.get("/login"))
    assert first["script-src"] != second["script-src"]
    api = client.get("/api/products")
    assert api["Content-Security-Policy"].startswith("default-src 'none'")


def test_swagger_ui_is_served_by_the_platform_not_a_cdn(host_client, tenants):
    client = host_client("ng.localhost")
    page = client.get("/api/docs/")
    html = page.content.decode()
    assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    sidecar = [url for url in assets if "drf_spectacular_sidecar" in url]
    assert len(sidecar) >= 3, assets  # bundle, standalone preset, stylesheet
    script = [url for url in assets if "script" in url and "sidecar" not in url]
    for url in [*sidecar, *script]:
        answer = client.get(url)
        assert answer.status_code == 200, url
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        assert len(body) > 100, url


def test_merchant_and_savings_pages_keep_the_policy(host_client, tenants):
    """Issue 17's pages under the policy: the camera scanner is a file from this origin (not an inline script),
    the printed and the one-amount QR codes are inline SVG without style attributes, and the savings and
    back-office pages have no inline style or handler either."""
    from tests.merchants.helpers import funded, open_business
    from tests.merchants.test_pages import logged_in
    from tests.wallet.helpers import new_customer

    merchant = open_business()
    owner = logged_in(host_client, merchant.owner)
    pay = logged_in(host_client, funded()).get("/pay")
    assert_protected(pay, "pay a merchant")
    scanner = re.search(r'<script src="([^"]*merchants/scan\.js)" defer>', pay.content.decode())
    assert scanner, "the scanner script is loaded from this origin"
    script = owner.get(scanner.group(1))
    assert script.status_code == 200 and b"BarcodeDetector" in b"".join(script.streaming_content)
    dashboard = owner.get("/business")
    assert_protected(dashboard, "business dashboard")
    assert dashboard.content.decode().count("<svg") == 1  # the printed QR code
    dynamic = owner.post(f"/business/{merchant.public_id}/request", {"amount": "2500.00"})
    assert_protected(dynamic, "one-amount QR")
    assert dynamic.content.decode().count("<svg") == 2
    saver = logged_in(host_client, new_customer())
    assert_protected(saver.get("/savings"), "savings")
    goal = saver.post("/savings", {"kind": "goal", "name": "School fees", "target": "50000.00",
                                   "idempotency_key": uuid.uuid4().hex})
    assert goal.status_code == 302
    assert_protected(saver.get(goal["Location"]), "a goal")
    circle = saver.post("/savings", {"kind": "circle", "name": "Ajo", "contribution": "1000.00",
                                     "frequency": "weekly", "members": ""})
    assert circle.status_code == 302
    assert_protected(saver.get(circle["Location"]), "a circle")
    admin = logged_in(host_client, new_customer(role="operator_admin"))
    for path in ("/back-office/merchants", "/back-office/merchant-fees", "/back-office/savings"):
        assert_protected(admin.get(path), f"back office {path}")
