"""Head-office role boundaries: an analyst reads, a super-admin writes, the Django admin included."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from tests.accounts.helpers import PASSWORD, call, login

pytestmark = pytest.mark.django_db


def test_a_super_admin_demoted_to_analyst_loses_the_django_admin_at_once(tenants):
    """``createsuperuser`` (and the first head-office account) makes a Django superuser. A role change recomputed
    ``is_staff`` only: a super-admin demoted to analyst kept ``is_superuser`` and with it every page of
    ``/admin/`` (tenants, the provider registry and its credentials, users), the write access the demotion took
    away everywhere else."""
    from tenant_apps.accounts.models import User

    boss = User.objects.create_superuser(email=f"boss-{uuid.uuid4().hex[:6]}@nexustop.example", password=PASSWORD)
    demoted = User.objects.create_superuser(email=f"ex-sa-{uuid.uuid4().hex[:6]}@nexustop.example",
                                            password=PASSWORD)
    admin_pages = Client(HTTP_HOST="localhost")
    admin_pages.force_login(demoted)
    assert admin_pages.get("/admin/providers/provider/").status_code == 200  # a super-admin: the registry

    token = login(Client(HTTP_HOST="localhost"), boss.email)["access"]
    changed = call(Client(HTTP_HOST="localhost"), "POST", f"/api/head-office/users/{demoted.public_id}/role",
                   {"role": "analyst"}, token=token)
    assert changed.status_code == 200, changed.content
    demoted.refresh_from_db()
    assert (demoted.role, demoted.is_superuser) == ("analyst", False)
    assert admin_pages.get("/admin/providers/provider/").status_code == 403
    assert admin_pages.post("/admin/providers/provider/add/", {}).status_code == 403
