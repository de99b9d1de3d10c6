"""One code per resend cooldown, even when the requests for it arrive all at once (SMS bombing).

Found from outside: 20 ``POST /api/auth/otp {phone}`` for one registered number, sent together from 20
addresses (each under its own IP limit), texted the victim 20 codes at once: the cooldown was read ("is there a
code younger than 30 s?") and then written (a new code), and simultaneous requests all read "no". The PIN-reset
code had the same gap, and so had ``POST /api/risk/step-up/<id>/resend`` (20 at once: 20 codes; the challenge's row
lock ends before the code is sent). The cooldown is now also claimed atomically (a Redis ``SET NX`` per user and
purpose, or per challenge, for the cooldown's length): exactly one code is issued and texted; the others answer as
before (202: nothing said; a step-up resend: 429 ``step_up_resend_too_soon``).
Real threads (one database connection each), real Redis, the SMS simulator.
"""

from __future__ import annotations

import json
import uuid

from django.test import Client
from django_tenants.utils import schema_context

from tests.accounts.helpers import make_user
from tests.support.concurrency import run_concurrently

BURST = 20


def _burst(send) -> list[int]:
    """``send(index)`` from BURST threads released together: the statuses, in call order."""
    statuses = run_concurrently(BURST, send)
    assert not [status for status in statuses if isinstance(status, Exception)], statuses
    return statuses  # type: ignore[return-value]  # no exception among them


def _codes(user, purpose: str) -> int:
    from tenant_apps.accounts.models import PhoneOtp

    with schema_context("ng"):
        return PhoneOtp.objects.filter(user=user, purpose=purpose).count()


def test_login_codes_requested_at_once_are_texted_once(live_db, simulated_providers):
    phone = f"+234803{uuid.uuid4().int % 10**7:07d}"
    user = make_user("ng", email=f"bomb-{uuid.uuid4().hex[:8]}@ng.example", phone=phone)
    statuses = _burst(lambda index: Client(HTTP_HOST="ng.localhost").post(
        "/api/auth/otp", json.dumps({"phone": phone}), content_type="application/json",
        REMOTE_ADDR=f"192.0.2.{index + 1}").status_code)
    assert statuses == [202] * BURST
    assert _codes(user, "verify_phone") == 1


def test_pin_reset_codes_requested_at_once_are_texted_once(live_db, simulated_providers):
    from tenant_apps.accounts.tokens import tokens_for_user

    phone = f"+234803{uuid.uuid4().int % 10**7:07d}"
    user = make_user("ng", email=f"pin-bomb-{uuid.uuid4().hex[:8]}@ng.example", phone=phone)
    with schema_context("ng"):
        access, _refresh = tokens_for_user(user)
    statuses = _burst(lambda index: Client(HTTP_HOST="ng.localhost").post(
        "/api/pin/reset", json.dumps({}), content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {access}",
        REMOTE_ADDR=f"192.0.2.{index + 101}").status_code)
    assert all(status < 500 for status in statuses), statuses
    assert _codes(user, "reset_pin") == 1


def test_step_up_codes_resent_at_once_are_texted_once(live_db, simulated_providers):
    """``POST /api/risk/step-up/<id>/resend`` sent 20 times at once: one new code, the others 429."""
    from datetime import timedelta

    from django.utils import timezone

    from tenant_apps.accounts.tokens import tokens_for_user
    from tenant_apps.risk.models import StepUpChallenge

    user = make_user("ng", email=f"step-bomb-{uuid.uuid4().hex[:8]}@ng.example",
                     phone=f"+234803{uuid.uuid4().int % 10**7:07d}")
    with schema_context("ng"):
        access, _refresh = tokens_for_user(user)
        challenge = StepUpChallenge.objects.create(user=user, method="otp", fingerprint=uuid.uuid4().hex,
                                                   expires_at=timezone.now() + timedelta(minutes=10))
    statuses = _burst(lambda index: Client(HTTP_HOST="ng.localhost").post(
        f"/api/risk/step-up/{challenge.public_id}/resend", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {access}").status_code)
    assert sorted(statuses) == [202] + [429] * (BURST - 1), statuses
    assert _codes(user, "step_up") == 1
