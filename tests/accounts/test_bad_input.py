"""Every bad input is a 400 with a field error, and nothing is written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context
from freezegun import freeze_time

from tests.accounts.helpers import NG_PHONE, NG_PHONE_E164, PASSWORD, call, make_user, outbox_code

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from tenant_apps.accounts.models import PhoneOtp, User
    from tenant_apps.audit.models import AuditEvent
    from tenant_apps.notifications.models import SmsMessage

    with schema_context("ng"):
        return {"users": User.objects.count(), "otps": PhoneOtp.objects.count(), "sms": SmsMessage.objects.count(),
                "audit": AuditEvent.objects.count(), "tokens": OutstandingToken.objects.count()}


@pytest.mark.parametrize(("body", "field", "code"), [
    ({"email": "not-an-email", "phone": NG_PHONE, "password": PASSWORD}, "email", "validation_error"),
    ({"email": "a@b", "phone": NG_PHONE, "password": PASSWORD}, "email", "validation_error"),
    ({"email": "weak@example.com", "phone": NG_PHONE, "password": "short1"}, "password", "validation_error"),
    ({"email": "weak@example.com", "phone": NG_PHONE, "password": "password1234"}, "password", "validation_error"),
    ({"email": "weak@example.com", "phone": NG_PHONE, "password": "12345678901234"}, "password",
     "validation_error"),
    ({"email": "weakling@example.com", "phone": NG_PHONE, "password": "weakling@example.com"}, "password",
     "validation_error"),
    ({"email": "sn@example.com", "phone": "+221771234567", "password": PASSWORD}, "phone", "validation_error"),
    ({"email": "gh@example.com", "phone": "+233241234567", "password": PASSWORD}, "phone", "validation_error"),
    ({"email": "junk@example.com", "phone": "12ab", "password": PASSWORD}, "phone", "validation_error"),
    ({"email": "landline@example.com", "phone": "", "password": PASSWORD}, "phone", "validation_error"),
    ({"phone": NG_PHONE, "password": PASSWORD}, "email", "validation_error"),
    ({"email": "nopass@example.com", "phone": NG_PHONE}, "password", "validation_error"),
])
def test_register_rejects_bad_input(host_client, body, field, code):
    before = counts()
    answer = call(host_client("ng.localhost"), "POST", "/api/auth/register", body)
    assert answer.status_code == 400, answer.content
    error = answer.json()["error"]
    assert error["code"] == code
    assert field in error["fields"] and error["fields"][field]
    assert counts() == before


def test_phone_of_another_country_says_so(host_client):
    answer = call(host_client("ng.localhost"), "POST", "/api/auth/register",
                  {"email": "sn2@example.com", "phone": "+221771234567", "password": PASSWORD})
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"]["phone"]


def test_duplicate_email_and_phone(host_client):
    make_user("ng", email="taken@example.com", phone=NG_PHONE_E164)
    before = counts()
    client = host_client("ng.localhost")
    dup_email = call(client, "POST", "/api/auth/register",
                     {"email": "TAKEN@example.com", "phone": "08031239999", "password": PASSWORD})
    assert dup_email.status_code == 400
    assert dup_email.json()["error"]["code"] == "duplicate_email"
    assert "email" in dup_email.json()["error"]["fields"]
    dup_phone = call(client, "POST", "/api/auth/register",
                     {"email": "other@example.com", "phone": "+234 803 123 4567", "password": PASSWORD})
    assert dup_phone.status_code == 400
    assert dup_phone.json()["error"]["code"] == "duplicate_phone"
    assert "phone" in dup_phone.json()["error"]["fields"]
    assert counts() == before


def test_malformed_json_is_a_clean_400(host_client):
    answer = host_client("ng.localhost").post("/api/auth/register", "{not json", content_type="application/json")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "malformed_request"


@pytest.fixture
def registered(host_client, sms_simulator):
    client = host_client("ng.localhost")
    answer = call(client, "POST", "/api/auth/register", {"email": "otp@example.com", "phone": NG_PHONE,
                                                         "password": PASSWORD})
    assert answer.status_code == 201
    return client, outbox_code(sms_simulator.url, NG_PHONE_E164)


def _user_state():
    from tenant_apps.accounts.models import PhoneOtp, User

    with schema_context("ng"):
        user = User.objects.get(email="otp@example.com")
        otp = PhoneOtp.objects.filter(user=user).latest("created_at")
        return user.phone_verified_at, otp.attempts, otp.consumed_at


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_wrong_otp(registered):
    client, code = registered
    before = counts()
    answer = call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": _wrong(code)})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_otp"
    assert answer.json()["error"]["fields"]["code"]
    verified_at, attempts, consumed = _user_state()
    assert verified_at is None and consumed is None and attempts == 1
    after = counts()
    assert after["tokens"] == before["tokens"] and after["users"] == before["users"]


@pytest.mark.parametrize("bad", ["12345", "abcdef", "1234567", ""])
def test_malformed_otp(registered, bad):
    client, _code = registered
    answer = call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": bad})
    if bad == "":
        assert answer.status_code == 202  # no code: that is a request for a code
        return
    assert answer.status_code == 400
    assert answer.json()["error"]["fields"]["code"]


def test_expired_otp(registered):
    client, code = registered
    before = counts()
    with freeze_time(timezone.now() + timedelta(minutes=5, seconds=1)):
        answer = call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": code})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "otp_expired"
    assert answer.json()["error"]["fields"]["code"]
    assert _user_state()[0] is None
    assert counts()["tokens"] == before["tokens"]


def test_otp_still_valid_just_before_expiry(registered):
    client, code = registered
    with freeze_time(timezone.now() + timedelta(minutes=4, seconds=55)):
        answer = call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": code})
    assert answer.status_code == 200


def test_exhausted_otp(registered, sms_simulator):
    client, code = registered
    for attempt in range(1, 6):
        answer = call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": _wrong(code)})
        assert answer.status_code == 400
        expected = "otp_attempts_exhausted" if attempt == 5 else "invalid_otp"
        assert answer.json()["error"]["code"] == expected
    before = counts()
    right = call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": code})
    assert right.status_code == 400
    assert right.json()["error"]["code"] == "otp_attempts_exhausted"
    assert right.json()["error"]["fields"]["code"]
    assert _user_state()[0] is None
    assert counts()["tokens"] == before["tokens"]
    # A new code works (after the resend cool-down) and the old one is dead.
    with freeze_time(timezone.now() + timedelta(seconds=31)):
        assert call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE}).status_code == 202
        new_code = outbox_code(sms_simulator.url, NG_PHONE_E164)
        if new_code != code:
            assert call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": code}).status_code == 400
        assert call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": new_code}).status_code == 200


def test_resend_cooldown_limits_sms(registered, sms_simulator):
    client, _code = registered
    sent_before = len(sms_simulator.messages(NG_PHONE_E164))
    for _ in range(3):
        assert call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE}).status_code == 202
    assert len(sms_simulator.messages(NG_PHONE_E164)) == sent_before


def test_otp_hashed_at_rest(registered):
    from tenant_apps.accounts.models import PhoneOtp

    _client, code = registered
    with schema_context("ng"):
        stored = PhoneOtp.objects.get(phone=NG_PHONE_E164).code_hash
    assert code not in stored and len(stored) > 60
