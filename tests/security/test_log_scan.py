"""Nothing secret reaches a log line: a whole representative session is captured at DEBUG and scanned.

Every logger is turned to DEBUG (Django, DRF, simplejwt, urllib3/requests to the simulators,
botocore to S3, our own), every record is rendered with its arguments, its exception text and
its ``extra`` fields, and searched for: passwords, access and refresh tokens (whole and their
signatures), the OTP code, the KYC number, provider API keys and the signing/encryption keys.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from tests.accounts.helpers import NG_PHONE, NG_PHONE_E164, call, make_user, outbox_code
from tests.accounts.helpers import PASSWORD as ADMIN_PASSWORD
from tests.kyc.helpers import png
from tests.support.logs import Everything, every_logger_at_debug

pytestmark = pytest.mark.django_db

PASSWORD = "Kano-harmattan-2026!"
KYC_NUMBER = "22255501234"


@pytest.fixture
def all_logs():
    with every_logger_at_debug(Everything()) as handler:
        yield handler


def test_a_whole_session_logs_no_secret(host_client, all_logs, sms_simulator, kyc_simulator, s3):
    client = host_client("ng.localhost")
    secrets: dict[str, str] = {"password": PASSWORD, "admin password": ADMIN_PASSWORD, "kyc number": KYC_NUMBER,
                               "sms api key": sms_simulator.api_key, "kyc api key": kyc_simulator.api_key,
                               "secret key": settings.SECRET_KEY,
                               "jwt signing key": settings.SIMPLE_JWT["SIGNING_KEY"]}

    registered = call(client, "POST", "/api/auth/register", {"email": "logscan@example.test", "phone": NG_PHONE,
                                                              "password": PASSWORD})
    assert registered.status_code == 201, registered.content
    code = outbox_code(sms_simulator.url, NG_PHONE_E164)
    assert call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": "000000" if code != "000000"
                                                  else "111111"}).status_code == 400
    verified = call(client, "POST", "/api/auth/otp", {"phone": NG_PHONE, "code": code})
    assert verified.status_code == 200, verified.content
    assert call(client, "POST", "/api/auth/login", {"email": "logscan@example.test", "password": "wrong-guess-1"}
                ).status_code == 401
    tokens = call(client, "POST", "/api/auth/login", {"email": "logscan@example.test", "password": PASSWORD}).json()
    access = tokens["access"]
    submitted = client.post("/api/kyc/submissions", {"scheme": "bvn", "number": KYC_NUMBER, "id_document": png()},
                            HTTP_AUTHORIZATION=f"Bearer {access}")
    assert submitted.status_code == 201, submitted.content
    bad_kyc = client.post("/api/kyc/submissions", {"scheme": "nin", "number": KYC_NUMBER + "9"},
                          HTTP_AUTHORIZATION=f"Bearer {access}")
    assert bad_kyc.status_code == 400
    assert call(client, "GET", "/api/wallet", token=access).status_code == 200
    assert call(client, "GET", "/api/wallet/transactions", token=access).status_code == 200
    assert call(client, "GET", "/api/wallet/transactions?format=csv", token=access).status_code == 200
    assert call(client, "POST", "/api/wallet/adjustments", {"user": "x"}, token=access).status_code == 403
    refreshed = call(client, "POST", "/api/auth/refresh", {"refresh": tokens["refresh"]}).json()
    assert call(client, "POST", "/api/auth/refresh", {"refresh": tokens["refresh"]}).status_code == 401  # reused
    assert call(client, "GET", "/api/auth/me", token=access + "x").status_code == 401
    make_user("ng", email="logscan-admin@example.test", role="operator_admin", phone="+2348031117002")
    admin = call(client, "POST", "/api/auth/login", {"email": "logscan-admin@example.test",
                                                     "password": ADMIN_PASSWORD}).json()
    queue = call(client, "GET", "/api/kyc/submissions", token=admin["access"])
    assert queue.status_code == 200
    assert call(client, "POST", "/api/auth/logout", {"refresh": refreshed["refresh"]},
                token=refreshed["access"]).status_code == 200

    for name, token in (("access", access), ("refresh", tokens["refresh"]), ("rotated access", refreshed["access"]),
                        ("rotated refresh", refreshed["refresh"]), ("admin access", admin["access"]),
                        ("admin refresh", admin["refresh"])):
        secrets[name] = token
        secrets[f"{name} signature"] = token.rsplit(".", 1)[1]
    assert len(all_logs.lines) > 20, "the capture saw almost nothing: is logging wired?"
    leaks = [f"{name!r} in: {line[:300]}" for line in all_logs.lines for name, value in secrets.items()
             if value and value in line]
    # The OTP is only 6 digits: search it as a standalone token, not inside ids and hashes.
    otp_pattern = re.compile(rf"(?<![0-9A-Za-z]){re.escape(code)}(?![0-9A-Za-z])")
    leaks += [f"otp in: {line[:300]}" for line in all_logs.lines if otp_pattern.search(line)]
    assert not leaks, "\n".join(leaks)
