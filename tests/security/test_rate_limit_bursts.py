"""The auth rate limits hold when the requests arrive all at once, not only one after the other.

Found from outside: 60 ``POST /api/auth/register`` sent together from one address all got 201 (60 accounts,
60 SMS sent at the platform's cost) under a 20/min limit, and 60 ``POST /api/auth/otp`` all got 202: DRF's
throttle reads the address's request history, then writes it back, so simultaneous requests all read the same
short history. Counted now with an atomic Redis ``INCR`` (tenant_apps/accounts/throttles.py): exactly the
limit gets through, the rest get 429 ``rate_limited`` with a ``Retry-After``, and nothing is created for them.
Real threads (one database connection each), real Redis, real commits.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter

from django.test import Client
from django_tenants.utils import schema_context

from tests.support.concurrency import run_concurrently

BURST = 30
LIMIT = 5
RATE = f"{LIMIT}/hour"  # a window the burst cannot straddle (the windows are fixed)


def _burst(path: str, body_of, address: str) -> list[tuple[int, dict, str | None]]:
    """BURST posts of ``body_of(index)`` from one address, released together: (status, body, Retry-After)."""

    def send(index: int) -> tuple[int, dict, str | None]:
        response = Client(HTTP_HOST="ng.localhost").post(path, json.dumps(body_of(index)),
                                                         content_type="application/json", REMOTE_ADDR=address)
        return response.status_code, response.json(), response.get("Retry-After")

    answers = run_concurrently(BURST, send)
    assert not [answer for answer in answers if isinstance(answer, Exception)], answers
    return answers  # type: ignore[return-value]  # no exception among them


def _assert_limit_held(answers, passed_status: int) -> None:
    statuses = Counter(status for status, _body, _retry in answers)
    assert statuses == {passed_status: LIMIT, 429: BURST - LIMIT}, statuses
    for status, body, retry_after in answers:
        if status == 429:
            assert body["error"]["code"] == "rate_limited"
            assert retry_after is not None and 1 <= int(retry_after) <= 3600


def _phone() -> str:
    return f"+234803{uuid.uuid4().int % 10**7:07d}"


def test_registrations_sent_at_once_get_no_more_than_the_limit(live_db, simulated_providers, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "auth_register": RATE}
    tag = uuid.uuid4().hex[:8]
    answers = _burst("/api/auth/register", lambda index: {"email": f"burst-{tag}-{index}@ng.example",
                                                          "phone": _phone(), "password": "Burst-attack-2026!"},
                     address=f"203.0.113.{uuid.uuid4().int % 200 + 1}")
    _assert_limit_held(answers, 201)
    from tenant_apps.accounts.models import User

    with schema_context("ng"):
        assert User.objects.filter(email__startswith=f"burst-{tag}-").count() == LIMIT


def test_login_codes_requested_at_once_get_no_more_than_the_limit(live_db, simulated_providers, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "auth_otp": RATE}
    answers = _burst("/api/auth/otp", lambda index: {"phone": _phone()},
                     address=f"198.51.100.{uuid.uuid4().int % 200 + 1}")
    _assert_limit_held(answers, 202)
