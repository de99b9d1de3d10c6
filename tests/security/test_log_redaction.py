"""Issue 14 (smaller items): phone numbers and other personal data never appear in log lines.

Real requests carry a phone number, an e-mail address, a BVN and a bank account number in bodies and
query strings; every logger is at DEBUG and every record goes through the project's own log formatter
(the JSON pipeline of settings/integrations/logging.py), as it would in production. The captured
output must not contain any of them, in any spelling (E.164, local, URL-encoded).
"""

from __future__ import annotations

import io
import logging
from urllib.parse import quote

import pytest
import structlog
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from shared_apps.core.redaction import redact_text
from tests.accounts.helpers import call

pytestmark = pytest.mark.django_db

EMAIL = "adaeze.okafor@example.test"
PHONE_LOCAL = "08035550147"
PHONE_E164 = "+2348035550147"
BVN = "22255507788"
ACCOUNT_NUMBER = "0123456789"
FULL_NAME = "Adaeze Okafor"
PERSONAL = (EMAIL, PHONE_LOCAL, PHONE_E164, PHONE_E164[1:], quote(PHONE_E164, safe=""), quote(EMAIL, safe=""),
            BVN, ACCOUNT_NUMBER, FULL_NAME, "8035550147")


@pytest.fixture
def pipeline_output():
    """Every logger at DEBUG, rendered by the configured ``json`` formatter into a buffer."""
    options = dict(settings.LOGGING["formatters"]["json"])
    formatter = options.pop("()")(**options)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter)
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    loggers = [root] + [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    root.addHandler(handler)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled


def test_requests_carrying_personal_data_leave_none_in_the_logs(host_client, pipeline_output, sms_simulator):
    client = host_client("ng.localhost")
    registered = call(client, "POST", "/api/auth/register", {"email": EMAIL, "phone": PHONE_LOCAL,
                                                             "password": "Kano-harmattan-2026!"})
    assert registered.status_code == 201, registered.content
    assert call(client, "POST", "/api/auth/otp", {"phone": PHONE_E164}).status_code == 202
    assert call(client, "POST", "/api/auth/login", {"email": EMAIL, "password": "wrong-password-1"}).status_code == 401
    # Query strings: an unauthenticated read (401) and an unknown path (404) are logged by Django with the request.
    query = f"?phone={quote(PHONE_E164)}&email={quote(EMAIL)}&bvn={BVN}&account_number={ACCOUNT_NUMBER}"
    assert client.get(f"/api/wallet/transactions{query}").status_code == 401
    assert client.get(f"/api/no-such-thing{query}&name={quote(FULL_NAME)}").status_code == 404
    assert client.get(f"/api/products{query}").status_code == 200
    # Our own code's log calls: arguments and extra fields (the notification and payout shapes).
    logging.getLogger("tenant_apps.notifications.messages").warning("email %s to %s failed", "welcome", EMAIL)
    logging.getLogger("tenant_apps.wallet.transfers").warning(
        "payout refused", extra={"account_number": ACCOUNT_NUMBER, "account_name": FULL_NAME, "phone": PHONE_LOCAL})
    structlog.get_logger("tenant_apps.kyc").info("kyc check", bvn=BVN, recipient=PHONE_E164,
                                                  note=f"number {BVN} for {EMAIL}")
    try:
        raise ValueError(f'duplicate key value violates unique constraint: Key (email)=({EMAIL}) already exists')
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: /api/auth/register")

    output = pipeline_output.getvalue()
    assert output.count("\n") > 10, output  # the session really was logged
    leaked = [value for value in PERSONAL if value in output]
    assert leaked == [], [line for line in output.splitlines() if any(value in line for value in leaked)][:5]
    assert "[email]" in output and "[redacted]" in output and "[number]" in output
    assert '"path": "/api/wallet/transactions"' in output  # what the line is about stays readable


def test_the_shapes_recognised():
    assert redact_text(f"to {EMAIL} or {quote(EMAIL, safe='')}") == "to [email] or [email]"
    assert redact_text(f"{PHONE_E164} {quote(PHONE_E164, safe='')} {PHONE_LOCAL}") == "[phone] [phone] [number]"
    assert redact_text(f"bvn={BVN}&acct={ACCOUNT_NUMBER}") == "bvn=[number]&acct=[number]"
    # Ids, times and amounts stay.
    untouched = "order 4f1c9a2e-1234-4abc-9def-0123456789ab at 2026-11-27T10:00:00.000000Z amount 150000 NGN"
    assert redact_text(untouched) == untouched


def _four_substitutions(text: str) -> str:
    """redact_text without its pre-check: the four substitutions, always."""
    from shared_apps.core import redaction

    text = redaction._PATH_TOKEN.sub(r"\1[token]", text)
    text = redaction._EMAIL.sub("[email]", text)
    text = redaction._INTERNATIONAL_PHONE.sub("[phone]", text)
    return redaction._LONG_NUMBER.sub("[number]", text)


@hypothesis_settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=40), st.text(alphabet="0123456789+@%4a./ussd_-", max_size=40),
                      st.sampled_from(["POST /api/purchase", "+2348031234567", "a@b.co", "x%40y.org",
                                       "/ussd/africastalking/abcdefgh123", "08031234567"])))
def test_the_pre_check_only_skips_text_the_substitutions_leave_alone(text):
    assert redact_text(text) == _four_substitutions(text)
