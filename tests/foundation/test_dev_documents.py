"""`make run` without S3: documents are stored (a reseller application was a 500 "Unable to locate credentials").

The dev settings keep the private documents storage (KYC documents, reseller applications' documents, privacy
exports) in files beside the embedded data unless an S3-compatible endpoint or AWS credentials are configured.
"""

from __future__ import annotations

import stat

from tests.support.processes import probe_child

PROBE = r"""
import json, django
django.setup()
from django.core.files.base import ContentFile
from django.core.files.storage import storages
storage = storages["kyc_documents"]
out = {"backend": type(storage).__name__}
if out["backend"] == "FileSystemStorage":
    name = storage.save("tenants/lr/resellers/1/cert.pdf", ContentFile(b"%PDF-1.4"))
    out.update(path=storage.path(name), content=storage.open(name).read().decode())
print(json.dumps(out))
"""


def probe(tmp_path, **env: str) -> dict:
    return probe_child(PROBE, unset=("AWS_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_PROFILE", "DJANGO_SECRET_KEY"),
                       **{"DJANGO_SETTINGS_MODULE": "nexustop.settings.dev",
                          "NEXUSTOP_SECRETS_DIR": str(tmp_path / "secrets"), **env})


def test_make_run_stores_documents_in_private_local_files_without_s3(tmp_path):
    stored = probe(tmp_path)
    assert stored["backend"] == "FileSystemStorage" and stored["content"] == "%PDF-1.4"
    path = tmp_path / "documents" / "tenants" / "lr" / "resellers" / "1" / "cert.pdf"
    assert stored["path"] == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "documents").stat().st_mode) == 0o700


def test_an_s3_endpoint_keeps_the_s3_storage(tmp_path):
    assert probe(tmp_path, AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000")["backend"] == "S3Storage"
