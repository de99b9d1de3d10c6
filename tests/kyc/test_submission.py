"""KYC submission: validation by the country adapter, encryption, masking, S3 documents, verifier."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from tests.accounts.helpers import login, make_user
from tests.kyc.helpers import BVN, NIN, NOT_FOUND_BVN, bucket_keys, png

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(host_client):
    user = make_user("ng", email="kyc@example.com", phone="+2348037770001")
    return user, login(host_client("ng.localhost"), "kyc@example.com")["access"]


def submit(client, token, **data):
    return client.post("/api/kyc/submissions", data, HTTP_AUTHORIZATION=f"Bearer {token}")


def counts(schema="ng"):
    from tenant_apps.audit.models import AuditEvent
    from tenant_apps.kyc.models import KycDocument, KycSubmission

    with schema_context(schema):
        return (KycSubmission.objects.count(), KycDocument.objects.count(), AuditEvent.objects.filter(
            action__startswith="kyc").count())


def test_submit_bvn_with_documents(host_client, customer, s3, settings, kyc_simulator):
    from tenant_apps.kyc.crypto import decrypt_number
    from tenant_apps.kyc.models import KycSubmission

    user, token = customer
    answer = submit(host_client("ng.localhost"), token, scheme="bvn", number=f" {BVN} ",
                    id_document=png(), selfie=png("me.png"))
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert body["number_masked"] == "*******5678"
    assert BVN not in answer.content.decode()
    assert body["status"] == "pending" and body["verification_status"] == "match"
    assert sorted(d["kind"] for d in body["documents"]) == ["id_document", "selfie"]
    with schema_context("ng"):
        stored = KycSubmission.objects.get(public_id=body["id"])
        keys = [doc.file.name or "" for doc in stored.documents.all()]
    assert BVN not in stored.number_encrypted and decrypt_number(stored.number_encrypted) == BVN
    assert stored.verification_reference  # the verifier's job id
    in_bucket = bucket_keys(s3, settings.KYC_DOCUMENTS_BUCKET)
    assert sorted(in_bucket) == sorted(keys)
    assert all(key.startswith(f"tenants/ng/kyc/{user.public_id}/") for key in keys)
    head = s3.head_object(Bucket=settings.KYC_DOCUMENTS_BUCKET, Key=keys[0])
    assert head["ServerSideEncryption"] == "AES256"
    assert kyc_simulator.jobs[-1]["id_type"] == "BVN"


def test_ghana_card_on_gh(host_client, s3):
    make_user("gh", email="kofi@example.com", phone="+233241110001")
    token = login(host_client("gh.localhost"), "kofi@example.com")["access"]
    answer = submit(host_client("gh.localhost"), token, scheme="ghana_card", number="GHA-712345678-3")
    assert answer.status_code == 201, answer.content
    assert answer.json()["number_masked"].endswith("78-3")
    assert "712345678" not in answer.content.decode()
    # and BVN is not a Ghanaian scheme
    refused = submit(host_client("gh.localhost"), token, scheme="bvn", number=BVN)
    assert refused.status_code == 400 and "scheme" in refused.json()["error"]["fields"]


@pytest.mark.parametrize(("data", "field"), [
    ({"scheme": "bvn", "number": "1234"}, "number"),
    ({"scheme": "bvn", "number": "2221234567X"}, "number"),
    ({"scheme": "nin", "number": "123456789012"}, "number"),
    ({"scheme": "ghana_card", "number": "GHA-712345678-3"}, "scheme"),
    ({"scheme": "passport", "number": "A1234567"}, "scheme"),
    ({"scheme": "bvn"}, "number"),
    ({"number": BVN}, "scheme"),
])
def test_bad_kyc_input(host_client, customer, s3, settings, data, field):
    _user, token = customer
    before = counts()
    answer = submit(host_client("ng.localhost"), token, id_document=png(), **data)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["error"]["fields"]
    if "number" in data:
        assert data["number"] not in answer.content.decode()
    assert counts() == before
    assert bucket_keys(s3, settings.KYC_DOCUMENTS_BUCKET) == []


def test_bad_document_writes_nothing(host_client, customer, s3, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _user, token = customer
    before = counts()
    exe = SimpleUploadedFile("x.exe", b"MZ" + b"0" * 100, content_type="application/x-msdownload")
    answer = submit(host_client("ng.localhost"), token, scheme="bvn", number=BVN, id_document=png(), selfie=exe)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_document" and "selfie" in answer.json()["error"]["fields"]
    settings.KYC_MAX_DOCUMENT_BYTES = 100
    too_big = submit(host_client("ng.localhost"), token, scheme="bvn", number=BVN, id_document=png())
    assert too_big.status_code == 400
    assert counts() == before
    assert bucket_keys(s3, settings.KYC_DOCUMENTS_BUCKET) == []


def test_duplicate_submission_and_number_in_use(host_client, customer, s3):
    _user, token = customer
    client = host_client("ng.localhost")
    assert submit(client, token, scheme="bvn", number=BVN).status_code == 201
    again = submit(client, token, scheme="bvn", number=BVN)
    assert again.status_code == 400 and again.json()["error"]["code"] == "kyc_already_submitted"
    make_user("ng", email="thief@example.com", phone="+2348037770002")
    thief = login(client, "thief@example.com")["access"]
    stolen = submit(client, thief, scheme="bvn", number=BVN)
    assert stolen.status_code == 400 and stolen.json()["error"]["code"] == "kyc_number_in_use"
    assert "number" in stolen.json()["error"]["fields"]


def test_verifier_no_match_rejects_automatically(host_client, customer, s3):
    from tenant_apps.audit.models import AuditEvent

    _user, token = customer
    answer = submit(host_client("ng.localhost"), token, scheme="bvn", number=NOT_FOUND_BVN)
    assert answer.status_code == 201
    assert answer.json()["status"] == "rejected" and answer.json()["verification_status"] == "no_match"
    with schema_context("ng"):
        assert AuditEvent.objects.filter(action="kyc_rejected", subject_id=answer.json()["id"]).exists()
    # a rejected submission does not block a new one
    assert submit(host_client("ng.localhost"), token, scheme="bvn", number=BVN).status_code == 201


@pytest.mark.parametrize("mode", ["unavailable", "authority_down", "timeout", "forged_answer"])
def test_verifier_trouble_leaves_the_check_pending(host_client, customer, s3, kyc_simulator, mode):
    _user, token = customer
    kyc_simulator.set_mode(mode)
    answer = submit(host_client("ng.localhost"), token, scheme="nin", number=NIN)
    assert answer.status_code == 201
    assert answer.json()["status"] == "pending" and answer.json()["verification_status"] == "pending"


def test_verifier_disabled(host_client, customer, s3, settings):
    settings.KYC_VERIFIER = {**settings.KYC_VERIFIER, "ENABLED": False}
    _user, token = customer
    answer = submit(host_client("ng.localhost"), token, scheme="nin", number=NIN)
    assert answer.json()["verification_status"] == "not_checked"


def test_unclear_checks_are_retried(host_client, customer, s3, kyc_simulator):
    from tenant_apps.kyc.models import KycSubmission
    from tenant_apps.kyc.services import kyc_recheck_pending

    _user, token = customer
    kyc_simulator.set_mode("authority_down")
    answer = submit(host_client("ng.localhost"), token, scheme="nin", number=NIN)
    assert answer.json()["verification_status"] == "pending"
    with schema_context("ng"):
        assert kyc_recheck_pending() == 1  # still down: still pending
        assert KycSubmission.objects.get(public_id=answer.json()["id"]).verification_status == "pending"
        kyc_simulator.set_mode("ok")
        assert kyc_recheck_pending() == 1
        assert KycSubmission.objects.get(public_id=answer.json()["id"]).verification_status == "match"
        assert kyc_recheck_pending() == 0
