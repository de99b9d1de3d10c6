"""A business applies on ng.localhost; the operator admin approves; the reseller tenant works on its domain."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from tenant_apps.agents.models import ResellerApplication, ResellerFloat
from tenant_apps.notifications.models import SmsMessage
from tenants.models import Domain, Tenant
from tests.accounts.helpers import PASSWORD, call, login, make_user

from .helpers import token_from

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 certificate of incorporation"


def apply(client, subdomain="sunvend", **extra):
    data = {"company_name": "SunVend Ltd", "registration_number": "RC-778812", "desired_subdomain": subdomain,
            "contact_name": "Ada Obi", "contact_email": "ada@sunvend.test", "contact_phone": "+2348031110000",
            "primary_colour": "#112233", "accent_colour": "#445566",
            "registration_certificate": SimpleUploadedFile("cert.pdf", PDF, content_type="application/pdf"), **extra}
    return client.post("/api/resellers/applications", data)


@pytest.fixture
def ng_admin(host_client):
    make_user("ng", email="ops-admin@ng.test", role="operator_admin")
    client = host_client("ng.localhost")
    return client, login(client, "ops-admin@ng.test")["access"]


def test_approval_provisions_a_working_branded_reseller(host_client, ng_admin, s3, sms_simulator,
                                                        django_capture_on_commit_callbacks):
    public = host_client("ng.localhost")
    response = apply(public)
    assert response.status_code == 201, response.content
    application_id = response.json()["id"]
    with schema_context("ng"):
        document = ResellerApplication.objects.get(public_id=application_id).documents.get()
        key = document.file.name
    assert key is not None and key.startswith(f"tenants/ng/resellers/{application_id}/") and key.endswith(".pdf")
    assert s3.get_object(Bucket=settings.KYC_DOCUMENTS_BUCKET,
                         Key=key)["Body"].read() == PDF

    client, token = ng_admin
    queue = call(client, "GET", "/api/resellers/applications", {"status": "pending"}, token=token).json()
    assert [item["id"] for item in queue] == [application_id]
    assert queue[0]["documents"][0]["url"].startswith("https://")  # a signed, short-lived link

    with django_capture_on_commit_callbacks(execute=True):
        approved = call(client, "POST", f"/api/resellers/applications/{application_id}/approve", {"note": "ok"},
                        token=token)
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert body["status"] == "approved" and body["domain"] == "sunvend.localhost"
    # Reported to the operator; its speed is measured by `manage.py bench_provisioning`, not asserted here
    # (a timed assertion only measures how busy the machine is).
    assert isinstance(body["provisioning_seconds"], float) and body["provisioning_seconds"] > 0

    tenant = Tenant.objects.get(schema_name="sunvend")
    assert (tenant.kind, tenant.parent.schema_name, tenant.country) == ("reseller_brand", "ng", "NG")
    assert (tenant.display_name, tenant.primary_colour, tenant.accent_colour) == ("SunVend Ltd", "#112233", "#445566")
    assert Domain.objects.get(domain="sunvend.localhost").tenant == tenant
    with schema_context("ng"):
        assert ResellerFloat.objects.filter(reseller_tenant_id=tenant.pk).exists()
        sms = SmsMessage.objects.get(to="+2348031110000", purpose="reseller_approved")
        assert "setup code redacted" in sms.body_redacted and sms.status == "sent"
    [email] = [m for m in mail.outbox if "ada@sunvend.test" in m.to]
    # The setup link opens the new site's invitation page, on the approving request's scheme and port.
    assert "http://sunvend.localhost/agent/invitation?token=" in email.body and "/api/" not in email.body
    setup_code = token_from(str(email.body))

    # The new domain routes to the new schema: the admin sets a password with the code and logs in there.
    site = host_client("sunvend.localhost")
    accepted = call(site, "POST", "/api/agents/invitations/accept", {"token": setup_code, "password": PASSWORD})
    assert accepted.status_code == 201, accepted.content
    assert accepted.json()["role"] == "operator_admin"
    admin_token = login(site, "ada@sunvend.test")["access"]
    me = call(site, "GET", "/api/auth/me", token=admin_token)
    assert me.status_code == 200 and me.json()["email"] == "ada@sunvend.test"
    assert call(client, "GET", "/api/auth/me", token=admin_token).status_code == 401  # not valid on ng
    products = site.get("/api/products")
    assert products.status_code == 200
    float_view = call(site, "GET", "/api/resellers/float", token=admin_token).json()
    assert float_view == {"currency": "NGN", "float": "0.00", "mirror": "0.00", "agrees": True}


def test_bad_applications_are_refused_with_clear_codes(host_client, s3):
    client = host_client("ng.localhost")
    assert apply(client, subdomain="Not valid!").json()["error"]["code"] == "invalid_subdomain"
    assert apply(client, subdomain="quickvend").json()["error"]["code"] == "subdomain_taken"
    assert apply(client, subdomain="admin").json()["error"]["code"] == "invalid_subdomain"
    no_doc = client.post("/api/resellers/applications", {"company_name": "X", "registration_number": "1",
                                                          "desired_subdomain": "xvend", "contact_name": "X",
                                                          "contact_email": "x@x.test", "contact_phone": "1"})
    assert no_doc.status_code == 400 and no_doc.json()["error"]["fields"]["documents"]
    exe = apply(client, subdomain="exevend",
                registration_certificate=SimpleUploadedFile("x.exe", b"MZ", content_type="application/octet-stream"))
    assert exe.json()["error"]["code"] == "invalid_document"
    assert apply(client, subdomain="twicevend").status_code == 201
    assert apply(client, subdomain="twicevend").json()["error"]["code"] == "subdomain_taken"
    with schema_context("ng"):
        assert ResellerApplication.objects.filter(desired_subdomain="exevend").count() == 0
    # Resellers apply on a country operation's site only.
    assert apply(host_client("quickvend.localhost"), subdomain="subvend").status_code == 403


def test_reject_and_permissions(host_client, ng_admin, s3, sms_simulator, django_capture_on_commit_callbacks):
    application_id = apply(host_client("ng.localhost"), subdomain="nopevend").json()["id"]
    make_user("ng", email="support@ng.test", role="operator_support")
    client, token = ng_admin
    support = login(client, "support@ng.test")["access"]
    assert call(client, "GET", "/api/resellers/applications", token=support).status_code == 403
    assert call(client, "POST", f"/api/resellers/applications/{application_id}/approve",
                token=support).status_code == 403
    assert call(client, "POST", f"/api/resellers/applications/{application_id}/reject", {},
                token=token).json()["error"]["fields"]["note"]
    with django_capture_on_commit_callbacks(execute=True):
        rejected = call(client, "POST", f"/api/resellers/applications/{application_id}/reject",
                        {"note": "Incomplete registration"}, token=token)
    assert rejected.json()["status"] == "rejected"
    again = call(client, "POST", f"/api/resellers/applications/{application_id}/approve", token=token)
    assert again.status_code == 409 and again.json()["error"]["code"] == "application_decided"
    assert not Tenant.objects.filter(schema_name="nopevend").exists()
    assert any("not approved" in m.body for m in mail.outbox)


def test_the_contact_phone_is_the_countrys_e164_number(host_client, ng_admin, s3, sms_simulator,
                                                        django_capture_on_commit_callbacks):
    """Typed as people write it ("0803 111 0001"): the application keeps the E.164 number, the approval text goes
    there and the reseller's first admin gets it. It was stored as typed: the SMS went to "+08031110001" (no
    such number) and the admin's phone was not a number the site could text. A number that is not the
    country's mobile number is a 400 on the field, nothing written."""
    public = host_client("ng.localhost")
    bad = apply(public, subdomain="badphonevend", contact_phone="12345")
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["contact_phone"]
    ghana = apply(public, subdomain="ghphonevend", contact_phone="+233244000001")
    assert ghana.status_code == 400 and ghana.json()["error"]["fields"]["contact_phone"]
    with schema_context("ng"):
        assert not ResellerApplication.objects.filter(desired_subdomain__in=["badphonevend", "ghphonevend"]).exists()

    response = apply(public, subdomain="phonevend", contact_phone="0803 111 0001")
    assert response.status_code == 201, response.content
    assert response.json()["contact_phone"] == "+2348031110001"
    client, token = ng_admin
    with django_capture_on_commit_callbacks(execute=True):
        approved = call(client, "POST", f"/api/resellers/applications/{response.json()['id']}/approve", {},
                        token=token)
    assert approved.status_code == 200, approved.content
    with schema_context("ng"):
        sms = SmsMessage.objects.get(purpose="reseller_approved")
        assert (sms.to, sms.status) == ("+2348031110001", "sent")
    with schema_context("phonevend"):
        from django.contrib.auth import get_user_model

        assert get_user_model().objects.get(email="ada@sunvend.test").phone == "+2348031110001"
    assert Tenant.objects.get(schema_name="phonevend").support_phone == "+2348031110001"


def test_a_reseller_texts_under_its_own_sender_name(host_client, ng_admin, s3, sms_simulator,
                                                    django_capture_on_commit_callbacks):
    """White label: the brand's texts (agent invitations, OTPs, receipts...) carry the sender name it applied
    with, as registered with the gateway; the country operation's own texts keep the platform's. Every text of
    a reseller went out as "NexusTop" (seen on ghtop.localhost: "Ghtop Ltd: you are invited..." from NexusTop).
    A sender name gateways would refuse is a 400 on the field."""
    import requests

    public = host_client("ng.localhost")
    bad = apply(public, subdomain="badsendervend", sms_sender_id="Way too long name")
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["sms_sender_id"]
    assert apply(public, subdomain="digitsvend", sms_sender_id="12345").status_code == 400  # a letter needed
    response = apply(public, subdomain="sendervend", sms_sender_id="SunVend")
    assert response.status_code == 201, response.content
    assert response.json()["sms_sender_id"] == "SunVend"
    client, token = ng_admin
    with django_capture_on_commit_callbacks(execute=True):
        approved = call(client, "POST", f"/api/resellers/applications/{response.json()['id']}/approve", {},
                        token=token)
    assert approved.status_code == 200, approved.content
    assert Tenant.objects.get(schema_name="sendervend").sms_sender_id == "SunVend"
    approval = requests.get(f"{sms_simulator.url}/outbox.json", params={"to": "+2348031110000"}, timeout=5).json()
    assert {m["from"] for m in approval["messages"]} == {"NexusTop"}  # the operation's own texts

    [email] = [m for m in mail.outbox if "ada@sunvend.test" in m.to]
    site = host_client("sendervend.localhost")
    assert call(site, "POST", "/api/agents/invitations/accept",
                {"token": token_from(str(email.body)), "password": PASSWORD}).status_code == 201
    admin_token = login(site, "ada@sunvend.test")["access"]
    with django_capture_on_commit_callbacks(execute=True):
        invited = call(site, "POST", "/api/agents/invitations", {"phone": "+2348035550077"}, token=admin_token)
    assert invited.status_code == 201, invited.content
    texts = requests.get(f"{sms_simulator.url}/outbox.json", params={"to": "+2348035550077"}, timeout=5).json()
    assert [m["from"] for m in texts["messages"]] == ["SunVend"]
    with schema_context("sendervend"):
        assert SmsMessage.objects.get(to="+2348035550077").status == "sent"
