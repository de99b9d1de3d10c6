"""Isolation below the API: cache keys, Celery tasks and S3 object keys are per tenant."""

from __future__ import annotations

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django_tenants.utils import schema_context

from tests.accounts.helpers import PASSWORD, call, make_user
from tests.kyc.helpers import bucket_keys, png

pytestmark = pytest.mark.django_db


# --- cache ------------------------------------------------------------------------------------


def test_cache_key_function_prefixes_the_schema():
    assert settings.CACHES["default"]["KEY_FUNCTION"] == "django_tenants.cache.make_key"
    for schema in ("ng", "sn", "quickvend"):
        with schema_context(schema):
            assert cache.make_key("anything").startswith(f"{schema}:")


def test_lockout_in_one_tenant_does_not_lock_the_same_email_in_another(host_client):
    """Lockout counters are cache keys: five failures on ng lock ng only, raw keys carry the schema."""
    raw = redis.Redis.from_url(settings.REDIS_URL)
    before = set(raw.keys("*"))
    for schema, phone in (("ng", "+2348031112001"), ("sn", "+221771112001"), ("quickvend", "+2348031112001")):
        make_user(schema, email="shared@example.test", phone=phone)
    ng = host_client("ng.localhost")
    for _ in range(5):
        assert call(ng, "POST", "/api/auth/login", {"email": "shared@example.test", "password": "wrong-one-123"}
                    ).status_code == 401
    locked = call(ng, "POST", "/api/auth/login", {"email": "shared@example.test", "password": PASSWORD})
    assert locked.status_code == 429 and locked.json()["error"]["code"] == "too_many_attempts"
    for host in ("sn.localhost", "quickvend.localhost"):
        answer = call(host_client(host), "POST", "/api/auth/login", {"email": "shared@example.test",
                                                                     "password": PASSWORD})
        assert answer.status_code == 200, (host, answer.content)
    created = {key.decode() if isinstance(key, bytes) else key for key in set(raw.keys("*")) - before}
    assert created, "the lockout wrote no cache key"
    assert all(key.split(":", 1)[0] in {"ng", "sn", "quickvend"} for key in created), created
    assert any(key.startswith("ng:") and key.endswith(":locked") for key in created), created
    assert not any(key.endswith(":locked") and not key.startswith("ng:") for key in created), created


# --- Celery (the worker test is in test_celery_worker.py) ---------------------------------------


def test_message_header_carries_the_sending_schema():
    """What the worker relies on: the header is set from the sender's connection, not the payload."""
    from tenant_schemas_celery.task import headers_with_schema

    with schema_context("sn"):
        assert headers_with_schema({})["_schema_name"] == "sn"
    with schema_context("ng"):
        assert headers_with_schema(None)["_schema_name"] == "ng"


# --- S3 (moto) --------------------------------------------------------------------------------


def _submit(host: str, token: str, number: str, filename: str = "id.png"):
    return Client(HTTP_HOST=host).post("/api/kyc/submissions", {"scheme": "bvn", "number": number,
                                                               "id_document": png(filename)},
                                       HTTP_AUTHORIZATION=f"Bearer {token}")


def _token(host: str, email: str, password: str = PASSWORD) -> str:
    response = call(Client(HTTP_HOST=host), "POST", "/api/auth/login", {"email": email, "password": password})
    assert response.status_code == 200, response.content
    return response.json()["access"]


def test_kyc_document_keys_are_prefixed_by_schema_and_never_reach_another_tenant(s3):
    make_user("ng", email="s3-a@example.test", phone="+2348031113001")
    make_user("quickvend", email="s3-b@example.test", phone="+2348031113002")
    a = _submit("ng.localhost", _token("ng.localhost", "s3-a@example.test"), "22211113001")
    assert a.status_code == 201, a.content
    # B's customer tries to steer the key into A's prefix with the file name.
    b = _submit("quickvend.localhost", _token("quickvend.localhost", "s3-b@example.test"), "22211113002",
                filename="../../ng/kyc/evil.png")
    assert b.status_code == 201, b.content
    keys = bucket_keys(s3, settings.KYC_DOCUMENTS_BUCKET)
    assert len(keys) == 2
    assert sorted(key.split("/")[1] for key in keys) == ["ng", "quickvend"]
    assert all(key.split("/")[0] == "tenants" and key.split("/")[2] == "kyc" and ".." not in key
               for key in keys), keys
    a_key = next(key for key in keys if key.startswith("tenants/ng/"))

    # B's reviewer sees B's documents only, with links to B's keys only.
    make_user("quickvend", email="s3-b-admin@example.test", role="operator_admin", phone="+2348031113003")
    b_admin = _token("quickvend.localhost", "s3-b-admin@example.test")
    queue = Client(HTTP_HOST="quickvend.localhost").get("/api/kyc/submissions", {"status": "pending"},
                                                        HTTP_AUTHORIZATION=f"Bearer {b_admin}")
    assert queue.status_code == 200, queue.content
    text = queue.content.decode()
    urls = [doc["url"] for item in queue.json() for doc in item["documents"]]
    assert urls and all("/quickvend/kyc/" in url for url in urls), urls
    assert a_key not in text and "/ng/kyc/" not in text
    # A's reviewer sees A's.
    make_user("ng", email="s3-a-admin@example.test", role="operator_admin", phone="+2348031113004")
    a_admin = _token("ng.localhost", "s3-a-admin@example.test")
    a_queue = Client(HTTP_HOST="ng.localhost").get("/api/kyc/submissions", {"status": "pending"},
                                                   HTTP_AUTHORIZATION=f"Bearer {a_admin}")
    a_urls = [doc["url"] for item in a_queue.json() for doc in item["documents"]]
    assert a_urls and all("/ng/kyc/" in url for url in a_urls) and not any("/quickvend/" in u for u in a_urls)
