"""A NUL character smuggled into a form, a query string or a path is a 400, never a 500.

Found from outside (hostile values in every field of every page form, as customer, finance and admin):

* ``POST /back-office/merchant-fees`` with ``category=%00`` answered 500: PostgreSQL refuses NUL in text
  (``DataError``), and the page filtered on the raw value. Pages that read a raw POST field into a query or a
  saved note (a merchant decision's ``note``...) fail the same way; Django form fields refuse NUL, raw reads do
  not. Now the request guard refuses NUL in any query string, path or form body (400 ``malformed_request``)
  before a view runs, nothing written.
* ``GET /api/audit?action=login%00`` (operator admin) answered 500 the same way: the fuzzer never sends it, the
  parameter is not in the schema. Refused by the same guard.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.security.inputs import error_of, fingerprint, person, written

pytestmark = pytest.mark.django_db


def _session(user) -> Client:
    from tenant_apps.portal.access import SESSION_SCHEMA_KEY

    client = Client(HTTP_HOST="ng.localhost", raise_request_exception=False)
    with schema_context("ng"):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        session = client.session
        session[SESSION_SCHEMA_KEY] = "ng"
        session.save()
    return client


@pytest.fixture
def pending_merchant(db):
    from tenant_apps.merchants.services import merchant_register

    owner = person("ng").user
    with schema_context("ng"):
        merchant = merchant_register(owner=owner, business_name="Nul Bakery", category_code="groceries", city="Lagos",
                                     address="1 Nul Street")
    return merchant


@pytest.fixture
def admin(db):
    return person("ng", "operator_admin").user


def _assert_refused_and_nothing_written(client: Client, method: str, path: str, data: dict | None = None) -> None:
    before = fingerprint(("ng",))
    response = client.generic(method, path, data=_form(data or {}), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400, (path, response.status_code, response.content[:300])
    assert error_of(response)["code"] == "malformed_request"
    changed = {table for table in written(before, fingerprint(("ng",))).get("ng", {})
               if table not in ("django_session", "accounts_user")}  # the session's own rows (last_login)
    assert not changed, changed


def _form(data: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(data)


def test_a_nul_in_a_raw_form_field_is_refused_not_a_server_error(admin, pending_merchant):
    client = _session(admin)
    _assert_refused_and_nothing_written(client, "POST", "/back-office/merchant-fees",
                                        {"category": "\x00", "fee_percent": "1", "fee_fixed": "0", "fee_cap": ""})
    _assert_refused_and_nothing_written(client, "POST", f"/back-office/merchants/{pending_merchant.public_id}/decide",
                                        {"action": "approve", "note": "fine\x00", "back": "pending"})
    from tenant_apps.merchants.models import Merchant

    with schema_context("ng"):
        assert Merchant.objects.get(pk=pending_merchant.pk).status == "pending"


@pytest.mark.parametrize("path", ["/back-office/merchants?status=%00", "/wallet?type=a%00b", "/api/wallet?x=%00",
                                  "/api/audit?action=login%00", "/r/abc%00def"])
def test_a_nul_in_the_query_string_or_path_is_refused(admin, path):
    client = _session(admin)
    token = person("ng", "operator_admin").token
    response = client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 400, (path, response.status_code)
    assert error_of(response)["code"] == "malformed_request"


def test_nul_free_forms_and_binary_uploads_still_pass(admin):
    """The guard reads text fields only: a multipart upload whose file holds NUL bytes is not refused for it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = _session(admin)
    assert client.get("/back-office/merchants?status=approved").status_code == 200
    csv = SimpleUploadedFile("numbers.csv", b"phone,amount\n08031234567,100\n\x00", content_type="text/csv")
    agent = person("ng", "agent").user
    response = _session(agent).post("/agent/bulk", {"file": csv})
    assert response.status_code != 400 or b"malformed_request" not in response.content
