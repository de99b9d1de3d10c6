"""KYC numbers never appear unmasked in any response, log line, audit row or SMS."""

from __future__ import annotations

import logging

import pytest
from django_tenants.utils import schema_context

from tests.accounts.helpers import call, login, make_user
from tests.kyc.helpers import NOT_FOUND_BVN, png

pytestmark = pytest.mark.django_db

NUMBERS = ["22298765432", NOT_FOUND_BVN, "19876543210"]


def test_numbers_never_leak(host_client, s3, caplog, kyc_simulator):
    caplog.set_level(logging.DEBUG)
    client = host_client("ng.localhost")
    make_user("ng", email="leak@example.com", phone="+2348039990001")
    make_user("ng", email="leak-op@example.com", phone="+2348039990002", role="operator_admin")
    token = login(client, "leak@example.com")["access"]
    operator = login(client, "leak-op@example.com")["access"]
    bodies = []
    for scheme, number in (("bvn", NUMBERS[0]), ("nin", NUMBERS[2])):
        answer = client.post("/api/kyc/submissions", {"scheme": scheme, "number": number, "selfie": png()},
                             HTTP_AUTHORIZATION=f"Bearer {token}")
        assert answer.status_code == 201
        bodies.append(answer.content.decode())
    kyc_simulator.set_mode("unavailable")
    bad = client.post("/api/kyc/submissions", {"scheme": "bvn", "number": NUMBERS[1][:-1]},
                      HTTP_AUTHORIZATION=f"Bearer {token}")
    bodies.append(bad.content.decode())
    dup = client.post("/api/kyc/submissions", {"scheme": "bvn", "number": NUMBERS[0]},
                      HTTP_AUTHORIZATION=f"Bearer {token}")
    bodies.append(dup.content.decode())
    queue = call(client, "GET", "/api/kyc/submissions", token=operator)
    bodies.append(queue.content.decode())
    for item in queue.json():
        decided = call(client, "POST", f"/api/kyc/submissions/{item['id']}/approve", {}, token=operator)
        bodies.append(decided.content.decode())
    bodies.append(call(client, "GET", "/api/kyc", token=token).content.decode())
    bodies.append(call(client, "GET", "/api/audit", token=operator).content.decode())

    from tenant_apps.audit.models import AuditEvent
    from tenant_apps.kyc.models import KycSubmission

    with schema_context("ng"):
        audit_dump = str(list(AuditEvent.objects.values()))
        stored = str(list(KycSubmission.objects.values()))
    for number in NUMBERS:
        for fragment in (number, number[:-1]):
            assert all(fragment not in body for body in bodies)
            assert fragment not in caplog.text
            assert fragment not in audit_dump
            assert fragment not in stored
    assert "*******5432" in " ".join(bodies)
    assert all(len(job["id_number_last4"]) == 4 for job in kyc_simulator.jobs)
