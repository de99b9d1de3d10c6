"""KYC in the export (metadata + the uploaded documents) and in the erasure (documents deleted from S3,
the number gone)."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django_tenants.utils import schema_context

from tests.accounts.helpers import login, make_user
from tests.kyc.helpers import BVN, bucket_keys, png

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("simulated_providers")]


def test_kyc_documents_are_exported_then_deleted_by_the_erasure(host_client, s3, settings,
                                                                django_capture_on_commit_callbacks):
    from tenant_apps.kyc.models import KycSubmission
    from tenant_apps.privacy.services import erase_user, export_zip

    user = make_user("ng", email="kyc-privacy@example.com", phone="+2348037770077")
    token = login(host_client("ng.localhost"), "kyc-privacy@example.com")["access"]
    answer = host_client("ng.localhost").post("/api/kyc/submissions", {"scheme": "bvn", "number": BVN,
                                                                      "id_document": png()},
                                              HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 201, answer.content
    assert len(bucket_keys(s3, settings.KYC_DOCUMENTS_BUCKET)) == 1
    with schema_context("ng"):
        content, counts = export_zip(user=user)
        archive = zipfile.ZipFile(io.BytesIO(content))
        data = json.loads(archive.read("data.json"))
        submission = data["tables"]["kyc.KycSubmission"][0]
        assert submission["number_masked"].endswith(BVN[-4:]) and "number_encrypted" not in submission
        documents = [name for name in archive.namelist() if name.startswith("files/kyc.KycDocument/")]
        assert len(documents) == 1 and archive.read(documents[0]).startswith(b"\x89PNG")
        assert counts["kyc.KycDocument"] == 1

        with django_capture_on_commit_callbacks(execute=True) as deletions:
            erase_user(user=user)
        assert len(deletions) == 1  # the S3 object goes after the commit
        stored = KycSubmission.objects.get(user=user)
        assert stored.number_encrypted == "" and BVN[-4:] not in stored.number_masked
        assert stored.documents.get().file.name == ""
    assert bucket_keys(s3, settings.KYC_DOCUMENTS_BUCKET) == []
