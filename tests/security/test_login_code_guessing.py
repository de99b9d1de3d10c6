"""Logging in by SMS code is counted per account across codes, like a password (tenant_apps.accounts.lockout).

Found from outside: each login code takes 5 wrong tries, but a new one can be asked every
``RESEND_COOLDOWN_SECONDS`` (30 s) for ever, so one number could be guessed 10 times a minute, 14,400 times a day
(1.4 % of the 6-digit space: an account a day out of every 70 numbers tried, each number also texted 2,880 codes
a day at the tenant's cost). Now, as for passwords, at most two codes' worth of tries (``2 * MAX_ATTEMPTS``) are
checked per window and phone (counted before the check, so codes sent together cannot all pass), then the phone's
login by code is locked for ``LOCKOUT_SECONDS`` (429 ``too_many_attempts`` with Retry-After, the right code
included); and at most ``PHONE_OTP['MAX_CODES_PER_DAY']`` login codes are texted to a number a day. PIN-reset
codes (a stolen session's way past the PIN) have the same budget per user.
"""

from __future__ import annotations

import json
import uuid

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.accounts.helpers import make_user, outbox_code

pytestmark = pytest.mark.django_db

WRONG = ("000000", "111111", "222222", "333333", "444444")


def otp(phone: str, index: int, code: str = ""):
    body = {"phone": phone, **({"code": code} if code else {})}
    return Client(HTTP_HOST="ng.localhost").post("/api/auth/otp", json.dumps(body), content_type="application/json",
                                                 REMOTE_ADDR=f"198.51.100.{index % 250 + 1}")


def checked_guesses(user) -> int:
    from tenant_apps.accounts.models import PhoneOtp

    with schema_context("ng"):
        return sum(PhoneOtp.objects.filter(user=user, purpose="verify_phone").values_list("attempts", flat=True))


def test_login_codes_cannot_be_guessed_code_after_code(settings, sms_simulator):
    settings.PHONE_OTP = {**settings.PHONE_OTP, "RESEND_COOLDOWN_SECONDS": 0}
    budget = 2 * settings.PHONE_OTP["MAX_ATTEMPTS"]  # accounts.lockout.code_budget
    phone = f"+234803{uuid.uuid4().int % 10**7:07d}"
    user = make_user("ng", email=f"guess-{uuid.uuid4().hex[:8]}@ng.example", phone=phone)
    answers = []
    for round_ in range(4):  # a fresh code each round, five wrong guesses at it
        assert otp(phone, 100 + round_).status_code == 202
        answers += [otp(phone, round_ * 10 + index, guess) for index, guess in enumerate(WRONG)]
    assert checked_guesses(user) <= budget, [a.json()["error"]["code"] for a in answers]
    refused = [answer for answer in answers if answer.status_code == 429]
    assert refused and all(a.json()["error"]["code"] == "too_many_attempts" and int(a["Retry-After"]) > 0
                           for a in refused)
    assert otp(phone, 200).status_code == 202
    right = otp(phone, 201, outbox_code(sms_simulator.url, phone))
    assert right.status_code == 429, right.content  # locked: the right code does not log in either


def test_a_number_is_texted_a_bounded_number_of_login_codes_a_day(settings):
    from tenant_apps.accounts.models import PhoneOtp

    settings.PHONE_OTP = {**settings.PHONE_OTP, "RESEND_COOLDOWN_SECONDS": 0}
    phone = f"+234803{uuid.uuid4().int % 10**7:07d}"
    user = make_user("ng", email=f"pump-{uuid.uuid4().hex[:8]}@ng.example", phone=phone)
    answers = [otp(phone, index).status_code for index in range(30)]
    assert answers == [202] * 30  # the answer never says whether anything was sent
    with schema_context("ng"):
        sent = PhoneOtp.objects.filter(user=user, purpose="verify_phone").count()
    assert sent == settings.PHONE_OTP["MAX_CODES_PER_DAY"]


def test_the_owner_logs_in_by_code_after_a_few_wrong_tries(settings, sms_simulator):
    settings.PHONE_OTP = {**settings.PHONE_OTP, "RESEND_COOLDOWN_SECONDS": 0}
    phone = f"+234803{uuid.uuid4().int % 10**7:07d}"
    make_user("ng", email=f"owner-{uuid.uuid4().hex[:8]}@ng.example", phone=phone)
    assert otp(phone, 1).status_code == 202
    assert otp(phone, 2, "000000").status_code == 400
    assert otp(phone, 3, "111111").status_code == 400
    logged_in = otp(phone, 4, outbox_code(sms_simulator.url, phone))
    assert logged_in.status_code == 200 and "access" in logged_in.json(), logged_in.content
    # A success forgets the count: the next sign-in has the whole budget again.
    assert otp(phone, 5).status_code == 202
    assert otp(phone, 6, "000000").status_code == 400


def test_pin_reset_codes_cannot_be_guessed_code_after_code(settings, sms_simulator):
    """The PIN guards money against a stolen session: its reset codes have the same budget (per user)."""
    from tenant_apps.accounts.models import PhoneOtp
    from tenant_apps.accounts.tokens import tokens_for_user

    settings.PHONE_OTP = {**settings.PHONE_OTP, "RESEND_COOLDOWN_SECONDS": 0}
    budget = 2 * settings.PHONE_OTP["MAX_ATTEMPTS"]  # accounts.lockout.code_budget
    phone = f"+234803{uuid.uuid4().int % 10**7:07d}"
    user = make_user("ng", email=f"pin-guess-{uuid.uuid4().hex[:8]}@ng.example", phone=phone)
    with schema_context("ng"):
        access, _refresh = tokens_for_user(user)

    def reset(index: int, **body: str):
        return Client(HTTP_HOST="ng.localhost").post(
            "/api/pin/reset", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {access}",
            REMOTE_ADDR=f"203.0.113.{index % 250 + 1}")

    for round_ in range(3):  # 20 requests in all: the user's auth_otp throttle (20/min) is not what stops it
        assert reset(100 + round_).status_code == 202
        for index, guess in enumerate(WRONG):
            assert reset(round_ * 10 + index, code=guess, new_pin="482913").status_code in (400, 429)
    with schema_context("ng"):
        checked = sum(PhoneOtp.objects.filter(user=user, purpose="reset_pin").values_list("attempts", flat=True))
    assert checked <= budget
    assert reset(200).status_code == 202
    right = reset(201, code=outbox_code(sms_simulator.url, phone), new_pin="482913")
    assert right.status_code == 429, right.content
    with schema_context("ng"):
        from tenant_apps.pins.models import TransactionPin

        assert not TransactionPin.objects.filter(user_id=user.pk).exists()


def test_step_up_codes_cannot_be_guessed_challenge_after_challenge(settings, sms_simulator):
    """A stolen session meets a step-up: each payment sent again made a new challenge (a new SMS code, 5 tries)."""
    from datetime import timedelta

    from django.utils import timezone

    from tenant_apps.accounts.models import PhoneOtp
    from tenant_apps.accounts.tokens import tokens_for_user
    from tenant_apps.risk.models import StepUpChallenge
    from tenant_apps.risk.stepup import VERIFIERS

    budget = 2 * settings.PHONE_OTP["MAX_ATTEMPTS"]
    phone = f"+234803{uuid.uuid4().int % 10**7:07d}"
    user = make_user("ng", email=f"step-guess-{uuid.uuid4().hex[:8]}@ng.example", phone=phone)
    with schema_context("ng"):
        access, _refresh = tokens_for_user(user)

    def challenge() -> StepUpChallenge:
        with schema_context("ng"):
            row = StepUpChallenge.objects.create(user=user, method="otp", fingerprint=uuid.uuid4().hex,
                                                 expires_at=timezone.now() + timedelta(minutes=10))
            VERIFIERS["otp"].deliver(challenge=row, context={})
            return row

    def verify(row: StepUpChallenge, code: str):
        return Client(HTTP_HOST="ng.localhost").post(
            f"/api/risk/step-up/{row.public_id}/verify", json.dumps({"code": code}), content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {access}")

    for _round in range(3):
        row = challenge()
        for guess in WRONG:
            assert verify(row, guess).status_code in (400, 429)
    with schema_context("ng"):
        checked = sum(PhoneOtp.objects.filter(user=user, purpose="step_up").values_list("attempts", flat=True))
    assert checked <= budget
    row = challenge()
    right = verify(row, outbox_code(sms_simulator.url, phone))
    assert right.status_code == 429 and right.json()["error"]["code"] == "step_up_locked", right.content
    with schema_context("ng"):
        assert StepUpChallenge.objects.get(pk=row.pk).verified_at is None
