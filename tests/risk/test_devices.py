"""Device signals: the web's cookie, the API's X-Device-Id, first-seen devices, new-device step-up, the
customer's device list and the sign-out of one device (its refresh tokens, access tokens and web sessions)."""

from __future__ import annotations

import uuid

from django.test import Client
from django_tenants.utils import schema_context

from tests.accounts.helpers import PASSWORD, make_user
from tests.risk.helpers import buy, call, error, make_rule, sms_code

DEVICE_A = "android-" + "a" * 24
DEVICE_B = "android-" + "b" * 24


def _customer(balance: int = 500_000):
    from tenant_apps.ledger.services import fund_wallet, wallet_for

    user = make_user("ng", email=f"dev-{uuid.uuid4().hex[:10]}@example.test",
                     phone=f"+234803{uuid.uuid4().int % 10**7:07d}")
    if balance:
        with schema_context("ng"):
            fund_wallet(wallet=wallet_for(user=user), amount=balance, reference=f"fund-{uuid.uuid4().hex}")
    return user


def _api_login(user, device: str | None) -> dict:
    response = call("POST", "/api/auth/login", "", {"email": user.email, "password": PASSWORD}, device=device)
    assert response.status_code == 200, response.content
    return response.json()


def test_pages_get_a_signed_long_lived_http_only_device_cookie_and_the_api_a_validated_header(db):
    from django.conf import settings

    client = Client(HTTP_HOST="ng.localhost")
    first = client.get("/login")
    cookie = first.cookies[settings.RISK_DEVICE_COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert int(cookie["max-age"]) == settings.RISK_DEVICE_COOKIE_AGE >= 365 * 24 * 3600
    assert settings.RISK_DEVICE_COOKIE_NAME not in client.get("/login").cookies  # kept, not minted again
    client.cookies[settings.RISK_DEVICE_COOKIE_NAME] = "forged-value"
    assert client.get("/login").cookies[settings.RISK_DEVICE_COOKIE_NAME].value != "forged-value"  # re-minted
    assert settings.RISK_DEVICE_COOKIE_NAME not in Client(HTTP_HOST="ng.localhost").get("/api/products").cookies
    for bad in ("short", "x" * 65, "has space in it 12345", "ünicode-device-id-0000", "a;b" * 8):
        refused = call("GET", "/api/products", device=bad)
        assert refused.status_code == 400 and error(refused)["code"] == "invalid_device_id", bad
    assert call("GET", "/api/products", device=DEVICE_A).status_code == 200
    refused = call("GET", "/api/products", step_up="not-a-challenge")
    assert refused.status_code == 400 and error(refused)["code"] == "invalid_step_up"


def test_a_new_device_must_confirm_a_payment_by_sms_and_is_trusted_afterwards(db, risk_stack):
    from tenant_apps.risk.models import UserDevice

    make_rule(name="new device", rule_type="new_device", action="step_up_otp")
    user = _customer()
    product = risk_stack.products["vt_airtime"]
    on_a = _api_login(user, DEVICE_A)["access"]  # the user's first device: trusted
    assert buy(on_a, product, risk_stack.phone(), device=DEVICE_A).status_code == 202
    assert buy(on_a, product, risk_stack.phone()).status_code == 202  # no header: the token's device (A)
    on_b = _api_login(user, DEVICE_B)["access"]
    phone = risk_stack.phone()
    asked = buy(on_b, product, phone, device=DEVICE_B)
    assert asked.status_code == 428 and error(asked)["step_up"]["method"] == "otp", asked.content
    again = buy(on_a, product, phone, device=DEVICE_B, again=True)
    assert again.status_code == 428  # the header names B, whatever the token
    challenge = error(again)["step_up"]["challenge"]  # the newest code replaces the first one
    assert call("POST", f"/api/risk/step-up/{challenge}/verify", on_b,
                {"code": sms_code(risk_stack, user.phone)}).status_code == 200
    assert buy(on_b, product, phone, device=DEVICE_B, step_up=challenge, again=True).status_code == 202
    assert buy(on_b, product, risk_stack.phone(), device=DEVICE_B).status_code == 202  # B is trusted now
    with schema_context("ng"):
        trust = dict(UserDevice.objects.filter(user=user).values_list("trust_reason", "channel"))
    assert trust == {"first_device": "api", "step_up": "api"}


def test_devices_are_listed_and_one_can_be_signed_out_everywhere_it_holds_a_session(db):
    from django.conf import settings
    from rest_framework_simplejwt.tokens import AccessToken

    from tenant_apps.risk.models import DeviceSession, UserDevice

    user = _customer(0)
    phone_a, phone_b = _api_login(user, DEVICE_A), _api_login(user, DEVICE_B)
    browser = Client(HTTP_HOST="ng.localhost", HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Chrome/126.0")
    browser.get("/login")
    signed_in = browser.post("/login", {"email": user.email, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.content
    listed = call("GET", "/api/auth/devices", phone_a["access"], device=DEVICE_A)
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert len(rows) == 3 and [row["current"] for row in rows].count(True) == 1
    assert {row["label"] for row in rows} >= {"Chrome on Windows"}
    profile = browser.get("/profile")
    assert profile.status_code == 200 and profile.content.count(b'data-testid="device-row"') == 3

    device_a, device_b = (str(AccessToken(tokens["access"])["dev"]) for tokens in (phone_a, phone_b))
    with schema_context("ng"):
        assert DeviceSession.objects.filter(device__public_id=device_b, kind="jwt").count() == 1
    signed_out = call("POST", f"/api/auth/devices/{device_b}/sign-out", phone_a["access"])
    assert signed_out.status_code == 200 and signed_out.json()["signed_out_at"]
    refused = call("GET", "/api/wallet", phone_b["access"])
    assert refused.status_code == 401 and error(refused)["code"] == "device_signed_out"
    assert b"signed out" in refused.content
    rotated = call("POST", "/api/auth/refresh", "", {"refresh": phone_b["refresh"]})
    assert rotated.status_code == 401
    assert call("GET", "/api/wallet", phone_a["access"]).status_code == 200  # the other device is untouched
    # A's rotated refresh token stays bound to A: signing A out revokes it too.
    fresh = call("POST", "/api/auth/refresh", "", {"refresh": phone_a["refresh"]})
    assert fresh.status_code == 200
    # The browser's device, from the profile page: its session ends.
    with schema_context("ng"):
        web = UserDevice.objects.get(user=user, channel="web")
    assert browser.post(f"/profile/devices/{web.public_id}/sign-out").status_code == 302
    assert browser.get("/wallet").status_code == 302  # to the login page
    call("POST", f"/api/auth/devices/{device_a}/sign-out", fresh.json()["access"])
    assert call("POST", "/api/auth/refresh", "", {"refresh": fresh.json()["refresh"]}).status_code == 401
    other = _customer(0)
    other_token = _api_login(other, None)["access"]
    refused = call("POST", f"/api/auth/devices/{device_a}/sign-out", other_token)
    assert refused.status_code == 404 and error(refused)["code"] == "unknown_device"
    assert settings.SIMPLE_JWT["ROTATE_REFRESH_TOKENS"]


def test_a_refresh_rotating_while_its_device_is_signed_out_is_refused_and_a_new_sign_in_works(db, monkeypatch):
    """The refresh passed the blacklist check and issued its new token; the device's sign-out ran before the new
    token was bound to the device (it blacklisted the old one only). The new token must not outlive the sign-out:
    the refresh is refused, the new token is blacklisted, and signing in on the device again works."""
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
    from rest_framework_simplejwt.tokens import AccessToken

    from tenant_apps.accounts import tokens
    from tenant_apps.risk.devices import device_sign_out
    from tenant_apps.risk.models import DeviceSession

    user = _customer(0)
    first = _api_login(user, DEVICE_A)
    device = str(AccessToken(first["access"])["dev"])
    bind = tokens._bind_rotated
    issued: list[str] = []

    def sign_out_before_the_bind(raw: str) -> None:
        issued.append(raw)
        device_sign_out(user=user, device_public_id=device)
        bind(raw)

    monkeypatch.setattr(tokens, "_bind_rotated", sign_out_before_the_bind)
    rotated = call("POST", "/api/auth/refresh", "", {"refresh": first["refresh"]})
    monkeypatch.setattr(tokens, "_bind_rotated", bind)
    assert len(issued) == 1
    assert rotated.status_code == 401 and error(rotated)["code"] == "device_signed_out", rotated.content
    again = call("POST", "/api/auth/refresh", "", {"refresh": issued[0]})
    assert again.status_code == 401 and error(again)["code"] == "token_not_valid"
    with schema_context("ng"):
        held = list(OutstandingToken.objects.filter(user=user).values_list("jti", "blacklistedtoken__id"))
        assert len(held) == 2 and all(blacklisted for _jti, blacklisted in held), held
        assert not DeviceSession.objects.filter(device__public_id=device).exists()
    signed_in = _api_login(user, DEVICE_A)
    assert str(AccessToken(signed_in["access"])["dev"]) == device  # the same device, signed in again
    assert call("GET", "/api/wallet", signed_in["access"]).status_code == 200
    fresh = call("POST", "/api/auth/refresh", "", {"refresh": signed_in["refresh"]})
    assert fresh.status_code == 200, fresh.content
    with schema_context("ng"):
        assert DeviceSession.objects.filter(device__public_id=device, kind="jwt").count() == 2
