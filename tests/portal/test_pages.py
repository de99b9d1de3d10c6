"""Portal, back office and console pages through Django's test client (fast, rolled back)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.accounts.helpers import PASSWORD, make_user, outbox_code
from tests.kyc.helpers import png

pytestmark = pytest.mark.django_db


def unique_phone() -> str:
    return f"0803{uuid.uuid4().int % 10_000_000:07d}"


def page_login(client: Client, email: str, *, path: str = "/login", password: str = PASSWORD):
    return client.post(path, {"email": email, "password": password})


def test_signup_with_phone_otp_lands_on_the_wallet(host_client, sms_simulator, tenants):
    client = host_client("ng.localhost")
    phone = unique_phone()
    email = f"signup-{uuid.uuid4().hex[:8]}@example.com"
    response = client.post("/signup", {"email": email, "phone": phone, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/verify"
    e164 = "+234" + phone[1:]
    wrong = client.post("/verify", {"code": "000000" if outbox_code(sms_simulator.url, e164) != "000000" else "111111"})
    assert wrong.status_code == 400 and "not valid" in wrong.content.decode()
    response = client.post("/verify", {"code": outbox_code(sms_simulator.url, e164)})
    assert response.status_code == 302 and response["Location"] == "/wallet"
    wallet = client.get("/wallet")
    assert wallet.status_code == 200
    html = wallet.content.decode()
    assert "₦0.00" in html and "NexusTop Nigeria" in html
    with schema_context("ng"):
        from tenant_apps.accounts.models import User

        assert User.objects.get(email=email).phone_verified_at is not None


def test_signup_errors_show_on_the_form_and_write_nothing(host_client, tenants):
    client = host_client("ng.localhost")
    make_user("ng", email="taken-page@example.com", phone="08030000001")
    response = client.post("/signup", {"email": "taken-page@example.com", "phone": unique_phone(),
                                       "password": PASSWORD})
    assert response.status_code == 400
    assert "An account with this email already exists." in response.content.decode()
    bad_phone = client.post("/signup", {"email": "new-page@example.com", "phone": "12", "password": PASSWORD})
    assert bad_phone.status_code == 400 and 'aria-invalid="true"' in bad_phone.content.decode()


def test_signup_form_in_french_on_sn(host_client, tenants):
    client = host_client("sn.localhost")
    html = client.get("/signup").content.decode()
    assert '<html lang="fr">' in html and "Créer un compte" in html


def test_wallet_statement_formats_amounts_and_filters(host_client, tenants):
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    user = make_user("ng", email="wallet-page@example.com", phone=unique_phone())
    with schema_context("ng"):
        wallet = wallet_for(user=user)
        fund_wallet(wallet=wallet, amount=1_234_50, reference="portal-test-1")
    client = host_client("ng.localhost")
    assert page_login(client, "wallet-page@example.com").status_code == 302
    html = client.get("/wallet").content.decode()
    assert "₦1,234.50" in html and "portal-test-1" in html
    filtered = client.get("/wallet", {"type": "transfer"}, HTTP_HX_REQUEST="true")
    assert filtered.status_code == 200 and "<html" not in filtered.content.decode()
    assert "portal-test-1" not in filtered.content.decode()
    french = client.post("/profile", {"preferred_language": "fr"})
    assert french.status_code == 302
    assert "1 234,50 ₦" in client.get("/wallet").content.decode()


def test_pages_need_login_and_the_right_role(host_client, tenants):
    client = host_client("ng.localhost")
    response = client.get("/wallet")
    assert response.status_code == 302 and response["Location"].startswith("/login?next=%2Fwallet")
    make_user("ng", email="plain-customer@example.com", phone=unique_phone())
    page_login(client, "plain-customer@example.com")
    assert client.get("/back-office/").status_code == 403
    assert client.get("/back-office/kyc").status_code == 403
    make_user("ng", email="finance-page@example.com", role="operator_finance")
    finance = host_client("ng.localhost")
    page_login(finance, "finance-page@example.com")
    assert finance.get("/back-office/").status_code == 200
    assert finance.get("/back-office/kyc").status_code == 403  # KYC review is support/admin, as in the API
    assert "/back-office/kyc" not in finance.get("/back-office/users").content.decode()  # no dead link either


def test_session_of_one_tenant_is_nothing_on_another(host_client, tenants):
    make_user("ng", email="cross-page@example.com", phone=unique_phone())
    ng = host_client("ng.localhost")
    page_login(ng, "cross-page@example.com")
    assert ng.get("/wallet").status_code == 200
    sessionid = ng.cookies["sessionid"].value
    gh = host_client("gh.localhost")
    gh.cookies["sessionid"] = sessionid
    response = gh.get("/wallet")
    assert response.status_code == 302 and response["Location"].startswith("/login")
    assert gh.get("/back-office/").status_code == 302


def test_kyc_upgrade_upload_and_operator_approval(host_client, tenants, s3, settings):
    customer = make_user("ng", email="kyc-page@example.com", phone=unique_phone())
    client = host_client("ng.localhost")
    page_login(client, "kyc-page@example.com")
    bvn = f"224{uuid.uuid4().int % 10**4:04d}5678"  # not a number committed by another test
    response = client.post("/kyc", {"scheme": "bvn", "number": bvn, "id_document": png()})
    assert response.status_code == 302, response.content.decode()[:3000]
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=settings.KYC_DOCUMENTS_BUCKET)["Contents"]]
    assert any(key.startswith("tenants/ng/kyc/") for key in keys)
    assert "*******5678" in client.get("/kyc").content.decode()
    make_user("ng", email="support-page@example.com", role="operator_support")
    support = host_client("ng.localhost")
    page_login(support, "support-page@example.com")
    queue = support.get("/back-office/kyc").content.decode()
    assert "kyc-page@example.com" in queue and "Signature=" in queue  # a signed, expiring link
    found = re.search(r'id="kyc-([0-9a-f-]{36})"', queue)
    assert found
    public_id = found.group(1)
    decided = support.post(f"/back-office/kyc/{public_id}/decide", {"decision": "approve", "note": "ok"},
                           HTTP_HX_REQUEST="true")
    assert decided.status_code == 200 and "Approved" in decided.content.decode()
    again = support.post(f"/back-office/kyc/{public_id}/decide", {"decision": "reject"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 409
    with schema_context("ng"):
        from tenant_apps.kyc.selectors import kyc_satisfied_requirements

        assert "bvn" in kyc_satisfied_requirements(user=customer)


def test_csrf_is_enforced_on_page_forms(tenants):
    client = Client(HTTP_HOST="ng.localhost", enforce_csrf_checks=True)
    response = client.post("/login", {"email": "x@example.com", "password": "nope"})
    assert response.status_code == 403


def test_dashboard_figures(host_client, tenants):
    make_user("ng", email="admin-dash@example.com", role="operator_admin")
    client = host_client("ng.localhost")
    page_login(client, "admin-dash@example.com")
    html = client.get("/back-office/").content.decode()
    assert 'data-testid="users-total"' in html and 'data-testid="kyc-pending"' in html
    assert "Wallet totals" in html


# --- head-office console ---------------------------------------------------------------------

def console_client(host_client, role: str) -> Client:
    email = f"{role}-{uuid.uuid4().hex[:6]}@nexustop.example"
    from tenant_apps.accounts.models import User

    User.objects.create_user(email=email, password=PASSWORD, role=role, is_staff=True)
    client = host_client("localhost")
    assert page_login(client, email, path="/console/login").status_code == 302
    return client


def test_console_create_tenant_branding_and_suspend(host_client, tenants):
    client = console_client(host_client, "super_admin")
    response = client.post("/console/tenants/new", {
        "kind": "reseller_brand", "name": "Page Brand", "country": "NG", "parent": tenants["ng"].pk,
        "domain": "pagebrand.localhost", "admin_email": "boss@pagebrand.example", "primary_colour": "#112233",
        "accent_colour": "#FFCC00", "default_language": ""})
    assert response.status_code == 302 and response["Location"] == "/console/tenants/pagebrand"
    from tenants.models import Tenant

    tenant = Tenant.objects.get(schema_name="pagebrand")
    assert tenant.primary_colour == "#112233" and tenant.parent == tenants["ng"]
    response = client.post("/console/tenants/pagebrand", {
        "display_name": "Page Brand Plus", "primary_colour": "#AA0000", "accent_colour": "#00AA00",
        "default_language": "fr"})
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.display_name, tenant.primary_colour, tenant.default_language) == ("Page Brand Plus", "#AA0000", "fr")
    client.post("/console/tenants/pagebrand/status", {"action": "suspend", "reason": "unpaid"})
    tenant.refresh_from_db()
    assert tenant.is_suspended
    suspended = host_client("pagebrand.localhost").get("/")
    assert suspended.status_code == 403 and "Page Brand Plus" in suspended.content.decode()
    assert "ui/app.css" in suspended.content.decode()
    client.post("/console/tenants/pagebrand/status", {"action": "reactivate"})
    tenant.refresh_from_db()
    assert not tenant.is_suspended
    audit = client.get("/console/audit").content.decode()
    assert "tenant_provisioned" in audit and "tenant_suspended" in audit


def test_console_bad_tenant_input_is_a_form_error(host_client, tenants):
    client = console_client(host_client, "super_admin")
    response = client.post("/console/tenants/new", {
        "kind": "country_operation", "name": "Dup", "country": "NG", "domain": "ng.localhost",
        "admin_email": "a@b.example", "primary_colour": "#112233", "accent_colour": "#FFCC00"})
    assert response.status_code == 400 and "already in use" in response.content.decode()


def test_console_analyst_reads_but_cannot_write(host_client, tenants):
    client = console_client(host_client, "analyst")
    assert client.get("/console/tenants").status_code == 200
    assert client.get("/console/tenants/new").status_code == 403
    assert client.post("/console/tenants/ng", {"display_name": "Hacked", "primary_colour": "#000000",
                                               "accent_colour": "#000000"}).status_code == 403
    tenants["ng"].refresh_from_db()
    assert tenants["ng"].display_name != "Hacked"


def test_tenant_users_cannot_use_the_console(host_client, tenants):
    client = host_client("localhost")
    make_user("ng", email="admin-not-ho@example.com", role="operator_admin")
    response = page_login(client, "admin-not-ho@example.com", path="/console/login")
    assert response.status_code == 400  # no such user in the public schema
    assert client.get("/console/tenants").status_code == 302


def test_provider_credentials_are_write_only(host_client, tenants):
    from shared_apps.providers.models import Provider
    from shared_apps.providers.services import provider_config

    provider = Provider.objects.create(name="Page VTPass", country="NG", plugin_key="vtpass",
                                       base_url="http://127.0.0.1:9/", capabilities=["airtime"])
    client = console_client(host_client, "super_admin")
    secret = "sk-very-secret-value-123"
    response = client.post(f"/console/providers/{provider.pk}", {
        "status": "active", "routing_priority": 5, "base_url": "http://127.0.0.1:9/", "timeout_seconds": 10,
        "credentials": f"api_key={secret}\nsecret_key=other"})
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider_config(provider=provider).credentials["api_key"] == secret
    page_html = client.get(f"/console/providers/{provider.pk}").content.decode()
    assert secret not in page_html and "Credentials are set." in page_html
    bad = client.post(f"/console/providers/{provider.pk}", {
        "status": "active", "routing_priority": "x", "base_url": "http://127.0.0.1:9/", "timeout_seconds": 10,
        "credentials": f"api_key={secret}"})
    assert bad.status_code == 400 and secret not in bad.content.decode()
    assert secret not in client.get("/console/audit").content.decode()


def test_page_forms_share_the_api_rate_limits(host_client, tenants, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "auth_register": "2/min", "auth_login": "2/min"}
    client = host_client("ng.localhost")
    for _attempt in range(2):
        assert client.post("/signup", {"email": "bad", "phone": "1", "password": "x"}).status_code == 400
    refused = client.post("/signup", {"email": f"late-{uuid.uuid4().hex[:6]}@example.com", "phone": unique_phone(),
                                      "password": PASSWORD})
    assert refused.status_code == 429 and "Too many attempts" in refused.content.decode()
    with schema_context("ng"):
        from tenant_apps.accounts.models import User

        assert not User.objects.filter(email__startswith="late-").exists()
    console = host_client("localhost")
    for _attempt in range(2):
        page_login(console, "nobody@nexustop.example", path="/console/login")
    assert page_login(console, "nobody@nexustop.example", path="/console/login").status_code == 429


def test_the_kyc_page_names_requirements_and_sets_the_french_colon(host_client, tenants):
    """The levels table showed the adapter's keys ("phone, cni, selfie, address") and the current level read
    "Non vérifié: jusqu'à ..." on a French site."""
    email = f"kyc-fr-{uuid.uuid4().hex[:8]}@example.com"
    make_user("sn", email=email, phone=f"+22177{uuid.uuid4().int % 10_000_000:07d}")
    client = host_client("sn.localhost")
    page_login(client, email)
    client.cookies["django_language"] = "fr"
    html = client.get("/kyc", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Non vérifié\u00a0: jusqu" in html
    assert "<td>Numéro de téléphone, Numéro d&#x27;identification nationale (NIN), Selfie, Justificatif de " \
           "domicile</td>" in html
    for key in (">phone<", ">phone, ", "selfie, address", ", address<"):
        assert key not in html
