"""The tenant's USSD channel settings (API and back office) and the demo seeder, in the test's transaction."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.cash.helpers import client_for, error_code, new_user

pytestmark = pytest.mark.django_db


def test_operators_set_the_service_code_and_get_the_callback_url_once(host_client):
    from tests.portal.test_shop_pages import logged_in

    admin = client_for(new_user("operator_admin"))
    assert error_code(admin.patch("/api/ussd/channel", {"service_code": "384#"}, format="json")) == "validation_error"
    assert error_code(admin.patch("/api/ussd/channel", {"enabled": True, "service_code": ""}, format="json")) \
        == "validation_error"  # no code, no channel
    saved = admin.patch("/api/ussd/channel", {"enabled": True, "service_code": "*384*555#"}, format="json")
    assert saved.status_code == 200 and saved.json()["service_code"] == "*384*555#" and saved.json()["enabled"]
    urls = admin.post("/api/ussd/channel/token", format="json")
    assert urls.status_code == 201
    token = urls.json()["callback_url"].rsplit("/", 1)[1]
    assert urls.json()["callback_url"] == f"http://ng.localhost/ussd/africastalking/{token}"
    assert urls.json()["events_url"].endswith(f"/ussd/africastalking/{token}/events")
    shown = admin.get("/api/ussd/channel").json()
    assert shown["token_hint"] == token[-4:] and token not in str(shown)  # never shown again
    assert client_for(new_user()).get("/api/ussd/channel").status_code == 403
    page = logged_in(host_client, new_user("operator_admin"))
    html = page.get("/back-office/ussd").content.decode()
    assert "Customers dial *384*555#." in html and token not in html
    rotated = page.post("/back-office/ussd", {"action": "token"}).content.decode()
    assert "/ussd/africastalking/" in rotated and "shown only once" in rotated
    policy = page.post("/back-office/ussd", {"action": "policy", "threshold": "2500"})
    assert policy.status_code == 302
    assert admin.get("/api/pin/policy").json()["web_api_threshold"] == "2500.00"
    assert logged_in(host_client, new_user()).get("/back-office/ussd").status_code == 403


def test_the_demo_switches_ussd_on_in_every_country_operation():
    from tenant_apps.ussd.demo import seed_demo_ussd
    from tenant_apps.ussd.models import UssdChannel

    lines = seed_demo_ussd()
    assert any(line.startswith("USSD ng: dial *384*") and "/_sim/channels" in line for line in lines)
    with schema_context("sn"):
        row = UssdChannel.objects.get()
        assert row.enabled and row.service_code.startswith("*384*") and row.token_hash
