"""The "My data" page (en/fr/pt) and the back-office privacy page (operators on request)."""

from __future__ import annotations

import io
import uuid
import zipfile

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from tests.accounts.helpers import PASSWORD, make_user
from tests.portal.test_ops_pages import quick_login

pytestmark = pytest.mark.django_db


def _customer(language: str = ""):
    user = make_user("ng", email=f"page-{uuid.uuid4().hex[:8]}@example.test",
                     phone=f"+23480{uuid.uuid4().int % 10**8:08d}")
    if language:
        with schema_context("ng"):
            type(user).objects.filter(pk=user.pk).update(preferred_language=language)
            user.refresh_from_db()
    return user


@pytest.mark.parametrize(("language", "title", "erase"), [
    ("en", "My data", "Erase my data"),
    ("fr", "Mes données", "Effacer mes données"),
    ("pt", "Os meus dados", "Apagar os meus dados"),
])
def test_my_data_page_in_each_language(language, title, erase):
    client = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", _customer(language))
    body = client.get("/my-data").content.decode()
    assert f'<html lang="{language}">' in body and title in body and erase in body
    assert 'href="/my-data"' in body  # in the navigation


def test_a_customer_exports_downloads_and_erases_from_the_page(s3):
    from tenant_apps.privacy.models import DataExport
    from tenant_apps.privacy.services import export_build

    user = _customer()
    client = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", user)
    assert client.post("/my-data", {"action": "export"}).status_code == 302
    with schema_context("ng"):
        export = DataExport.objects.get(user=user)
        export_build(export_id=export.pk)
    page = client.get("/my-data").content.decode()
    assert f"/my-data/exports/{export.public_id}" in page
    download = client.get(f"/my-data/exports/{export.public_id}")
    assert download.status_code == 200
    assert "data.json" in zipfile.ZipFile(io.BytesIO(download.content)).namelist()

    wrong = client.post("/my-data", {"action": "erase", "password": "nope", "confirm": "on"})
    assert wrong.status_code == 400
    done = client.post("/my-data", {"action": "erase", "password": PASSWORD, "confirm": "on"})
    assert done.status_code == 200 and 'data-testid="erased"' in done.content.decode()
    with schema_context("ng"):
        user.refresh_from_db()
    assert not user.is_active and user.email.endswith("@erased.invalid")
    assert client.get("/my-data").status_code == 302  # signed out


def test_back_office_privacy_page_for_support_and_admin():
    customer = _customer()
    support = quick_login(Client(HTTP_HOST="ng.localhost"), "ng",
                          make_user("ng", email=f"sup-{uuid.uuid4().hex[:6]}@example.test", role="operator_support"))
    admin = quick_login(Client(HTTP_HOST="ng.localhost"), "ng",
                        make_user("ng", email=f"adm-{uuid.uuid4().hex[:6]}@example.test", role="operator_admin"))
    page = support.get(f"/back-office/privacy/{customer.public_id}").content.decode()
    assert customer.email in page and "Export on request" in page and "Erase on request" not in page
    assert support.post(f"/back-office/privacy/{customer.public_id}/export").status_code == 302
    assert support.post(f"/back-office/privacy/{customer.public_id}/erase", {"confirm": "on"}).status_code == 403
    assert admin.post(f"/back-office/privacy/{customer.public_id}/erase", {"confirm": "on"}).status_code == 302
    with schema_context("ng"):
        customer.refresh_from_db()
    assert not customer.is_active
    users = admin.get("/back-office/users").content.decode()
    assert "/back-office/privacy/" in users
    customer_client = quick_login(Client(HTTP_HOST="ng.localhost"), "ng", _customer())
    assert customer_client.get(f"/back-office/privacy/{customer.public_id}").status_code == 403
