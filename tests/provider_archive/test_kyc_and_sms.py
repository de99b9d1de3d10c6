"""The KYC verifier's and the SMS gateway's exchanges are archived too: no key, no identity number, no OTP,
no full phone number in the stored rows."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import schema_context

from tests.accounts.helpers import login, make_user
from tests.kyc.helpers import BVN, png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("simulated_providers")]


def _text(row) -> str:
    return json.dumps([row.url, row.request_headers, row.request_body, row.response_headers, row.response_body])


def test_a_kyc_check_is_archived_without_the_number_or_the_keys(host_client, s3, kyc_simulator):
    from tenant_apps.kyc.models import KycSubmission
    from tenant_apps.provider_archive.models import ProviderExchange

    make_user("ng", email="archive-kyc@example.com", phone="+2348037770009")
    token = login(host_client("ng.localhost"), "archive-kyc@example.com")["access"]
    answer = host_client("ng.localhost").post("/api/kyc/submissions", {"scheme": "bvn", "number": BVN,
                                                                      "id_document": png()},
                                              HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 201, answer.content
    with schema_context("ng"):
        submission = KycSubmission.objects.get(public_id=answer.json()["id"])
        rows = list(ProviderExchange.objects.filter(subject_type="kyc", subject_id=submission.pk))
    assert len(rows) == 1 and rows[0].status == 200 and rows[0].plugin_key == "kyc_verifier"
    text = _text(rows[0])
    assert BVN not in text and kyc_simulator.api_key not in text and BVN[-4:] in text


def test_an_otp_sms_is_archived_without_the_code_or_the_number(sms_simulator):
    from tenant_apps.notifications.services import sms_send
    from tenant_apps.provider_archive.models import ProviderExchange

    phone = "+2348037770123"
    with schema_context("ng"):
        message = sms_send(to=phone, text="Your NexusTop code is 482913", purpose="otp",
                           redacted_text="Your NexusTop code is ******")
        rows = list(ProviderExchange.objects.filter(subject_type="sms", subject_id=message.pk))
    assert len(rows) == 1 and rows[0].operation == "send"
    text = _text(rows[0])
    assert "482913" not in text and sms_simulator.api_key not in text
    assert "8037770123" not in text and "0123" in text
