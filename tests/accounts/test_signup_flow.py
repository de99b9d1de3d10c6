"""Full sign-up on a tenant: register -> OTP (read from the SMS simulator over HTTP) -> verify -> login ->
refresh -> logout -> refresh refused."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.accounts.helpers import NG_PHONE, NG_PHONE_E164, PASSWORD, call, outbox_code

pytestmark = pytest.mark.django_db


def test_full_sign_up_flow(host_client, sms_simulator):
    client = host_client("ng.localhost")

    registered = call(client, "POST", "/api/auth/register",
                      {"email": "Ada.Obi@Example.com", "phone": NG_PHONE, "password": PASSWORD})
    assert registered.status_code == 201, registered.content
    body = registered.json()
    assert body["otp_sent"] is True
    assert body["user"]["email"] == "ada.obi@example.com"
    assert body["user"]["phone"] == NG_PHONE_E164  # normalised by the NG adapter
    assert body["user"]["phone_verified"] is False
    assert "access" not in body

    code = outbox_code(sms_simulator.url, NG_PHONE_E164)
    verified = call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": code})
    assert verified.status_code == 200, verified.content
    assert verified.json()["user"]["phone_verified"] is True
    assert verified.json()["access"] and verified.json()["refresh"]

    # The code is single-use.
    again = call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": code})
    assert again.status_code == 400

    logged_in = call(client, "POST", "/api/auth/login", {"email": "ada.obi@example.com", "password": PASSWORD})
    assert logged_in.status_code == 200, logged_in.content
    tokens = logged_in.json()
    assert set(tokens) >= {"access", "refresh", "access_expiration", "refresh_expiration", "user"}

    me = call(client, "GET", "/api/auth/me", token=tokens["access"])
    assert me.status_code == 200
    assert me.json()["phone_verified"] is True

    refreshed = call(client, "POST", "/api/auth/refresh", {"refresh": tokens["refresh"]})
    assert refreshed.status_code == 200, refreshed.content
    new_tokens = refreshed.json()
    assert new_tokens["refresh"] != tokens["refresh"]  # rotated

    # The rotated-out refresh token is blacklisted.
    reused = call(client, "POST", "/api/auth/refresh", {"refresh": tokens["refresh"]})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "token_not_valid"

    logged_out = call(client, "POST", "/api/auth/logout", {"refresh": new_tokens["refresh"]},
                      token=new_tokens["access"])
    assert logged_out.status_code == 200, logged_out.content

    refused = call(client, "POST", "/api/auth/refresh", {"refresh": new_tokens["refresh"]})
    assert refused.status_code == 401
    assert refused.json() == {"error": {"code": "token_not_valid", "message": refused.json()["error"]["message"],
                                        "fields": {}}}

    with schema_context("ng"):
        from tenant_apps.audit.models import AuditEvent

        actions = set(AuditEvent.objects.filter(actor_email="ada.obi@example.com").values_list("action", flat=True))
    assert {"user_registered", "otp_sent", "otp_verified", "phone_verified", "login_succeeded", "logout"} <= actions


def test_access_token_lives_15_minutes(host_client, sms_simulator):
    from rest_framework_simplejwt.tokens import AccessToken

    from tests.accounts.helpers import login, make_user

    make_user("ng", email="ttl@example.com", phone="+2348031110001")
    tokens = login(host_client("ng.localhost"), "ttl@example.com")
    with schema_context("ng"):
        access = AccessToken(tokens["access"])
    # simplejwt dates the access token's expiry from the refresh token's creation and its iat from its own: the
    # two whole-second stamps may straddle a second boundary.
    assert 15 * 60 - 1 <= access["exp"] - access["iat"] <= 15 * 60
    assert access["tenant"] == "ng"


def test_otp_request_for_unknown_number_looks_the_same(host_client, sms_simulator):
    client = host_client("ng.localhost")
    before = len(sms_simulator.messages())
    unknown = call(client, "POST", "/api/auth/otp", {"phone": "08039998888"})
    assert unknown.status_code == 202
    assert len(sms_simulator.messages()) == before  # nothing sent

    from tests.accounts.helpers import make_user

    make_user("ng", email="known@example.com", phone="+2348039997777", verified=False)
    known = call(client, "POST", "/api/auth/otp", {"phone": "08039997777"})
    assert known.status_code == 202
    assert known.json() == unknown.json()
    assert sms_simulator.messages("+2348039997777")


def test_otp_login_for_existing_user(host_client, sms_simulator):
    from tests.accounts.helpers import make_user

    make_user("ng", email="otp-login@example.com", phone="+2348035550001")
    client = host_client("ng.localhost")
    assert call(client, "POST", "/api/auth/otp", {"phone": "+234 803 555 0001"}).status_code == 202
    code = outbox_code(sms_simulator.url, "+2348035550001")
    answer = call(client, "POST", "/api/auth/otp", {"phone": "08035550001", "code": code})
    assert answer.status_code == 200
    assert answer.json()["user"]["email"] == "otp-login@example.com"


def test_sms_log_never_stores_the_code(host_client, sms_simulator):
    client = host_client("ng.localhost")
    call(client, "POST", "/api/auth/register", {"email": "log@example.com", "phone": "08031112222",
                                                "password": PASSWORD})
    code = outbox_code(sms_simulator.url, "+2348031112222")
    with schema_context("ng"):
        from tenant_apps.accounts.models import PhoneOtp
        from tenant_apps.notifications.models import SmsMessage

        message = SmsMessage.objects.get(to="+2348031112222")
        otp = PhoneOtp.objects.get(phone="+2348031112222")
    assert message.status == "sent" and message.provider_message_id
    assert code not in message.body_redacted and "******" in message.body_redacted
    assert code not in otp.code_hash


def test_registration_survives_an_sms_outage(host_client, sms_simulator):
    sms_simulator.set_mode("unavailable")
    client = host_client("ng.localhost")
    answer = call(client, "POST", "/api/auth/register", {"email": "outage@example.com", "phone": "08031113333",
                                                         "password": PASSWORD})
    assert answer.status_code == 201
    assert answer.json()["otp_sent"] is False
    with schema_context("ng"):
        from tenant_apps.notifications.models import SmsMessage

        assert SmsMessage.objects.get(to="+2348031113333").status == "failed"


def test_me_language_update(host_client):
    from tests.accounts.helpers import login, make_user

    make_user("ng", email="lang@example.com", phone="+2348031110009")
    client = host_client("ng.localhost")
    token = login(client, "lang@example.com")["access"]
    ok = client.patch("/api/auth/me", '{"preferred_language": "fr"}', content_type="application/json",
                      HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ok.status_code == 200 and ok.json()["preferred_language"] == "fr"
    bad = client.patch("/api/auth/me", '{"preferred_language": "xx", "role": "operator_admin"}',
                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert bad.status_code == 400 and "preferred_language" in bad.json()["error"]["fields"]
    sneaky = client.patch("/api/auth/me", '{"role": "operator_admin"}', content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {token}")
    assert sneaky.status_code == 200 and sneaky.json()["role"] == "customer"


def test_token_user_gets_their_language(host_client):
    from tenant_apps.accounts.models import User
    from tests.accounts.helpers import login, make_user

    make_user("ng", email="francophone@example.com", phone="+2348031110010")
    with schema_context("ng"):
        User.objects.filter(email="francophone@example.com").update(preferred_language="fr")
    client = host_client("ng.localhost")
    token = login(client, "francophone@example.com")["access"]
    answer = call(client, "GET", "/api/auth/me", token=token)
    assert answer.status_code == 200 and answer["Content-Language"] == "fr"
