"""`create_tenant` and friends: good input provisions, bad input leaves nothing behind."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_context, schema_exists

from tenants.models import Domain, Tenant

pytestmark = pytest.mark.django_db


def _create(**overrides):
    args = {"kind": "country_operation", "country": "TG", "name": "NexusTop Togo", "domain": "tg.localhost",
            "admin_email": "boss@tg.example", "admin_password": "Str0ng-Pass-2026"}
    args.update(overrides)
    out = io.StringIO()
    call_command("create_tenant", *[f"--{k.replace('_', '-')}={v}" for k, v in args.items()], stdout=out)
    return out.getvalue()


def _assert_nothing_created(schema: str, domain: str) -> None:
    assert not Tenant.objects.filter(schema_name=schema).exists()
    assert not Domain.objects.filter(domain=domain).exists()
    assert not schema_exists(schema)


def test_create_tenant_provisions_schema_domain_and_first_admin(tenants):
    output = _create()
    assert "Created country_operation" in output
    tenant = Tenant.objects.get(schema_name="tg")
    assert tenant.country == "TG" and tenant.kind == "country_operation"
    assert tenant.default_language == "fr"  # Togo is francophone
    assert Domain.objects.get(domain="tg.localhost").tenant == tenant
    assert schema_exists("tg")
    from django.contrib.auth import get_user_model

    with schema_context("tg"):
        admin = get_user_model().objects.get(email="boss@tg.example")
        assert admin.role == "operator_admin" and admin.check_password("Str0ng-Pass-2026")


def test_create_reseller_under_its_country_operation(tenants):
    _create(kind="reseller_brand", country="NG", name="FastTop", domain="fasttop.localhost", parent="ng.localhost")
    reseller = Tenant.objects.get(schema_name="fasttop")
    assert reseller.parent.schema_name == "ng"


@pytest.mark.parametrize(
    ("overrides", "code", "schema", "domain"),
    [
        ({"country": "FR"}, "unknown_country", "tg", "tg.localhost"),
        ({"country": "ZZ"}, "unknown_country", "tg", "tg.localhost"),
        ({"domain": "ng.localhost", "schema": "tgdup"}, "duplicate_domain", "tgdup", "ng.localhost"),
        ({"domain": "ng.localhost"}, "duplicate_domain", "ng_unused", "ng.localhost"),
        ({"kind": "reseller_brand", "domain": "orphan.localhost"}, "missing_parent", "orphan", "orphan.localhost"),
        ({"kind": "reseller_brand", "country": "GH", "domain": "ghres.localhost", "parent": "ng.localhost"},
         "parent_country_mismatch", "ghres", "ghres.localhost"),
        ({"kind": "reseller_brand", "country": "NG", "domain": "deep.localhost", "parent": "quickvend.localhost"},
         "invalid_parent", "deep", "deep.localhost"),
        ({"domain": "bad domain!"}, "invalid_domain", "bad", "bad domain!"),
        ({"domain": "public.localhost"}, "invalid_schema_name", "public_x", "public.localhost"),
        ({"admin_email": "not-an-email"}, "invalid_admin_email", "tg", "tg.localhost"),
        ({"parent": "ng.localhost"}, "unexpected_parent", "tg", "tg.localhost"),
        ({"parent": "nowhere.localhost"}, "unknown_parent", "tg", "tg.localhost"),
    ],
)
def test_bad_create_tenant_input_is_refused_and_nothing_is_half_created(tenants, overrides, code, schema, domain):
    tenants_before = Tenant.objects.count()
    domains_before = Domain.objects.count()
    with pytest.raises(CommandError) as excinfo:
        _create(**overrides)
    assert f"[{code}]" in str(excinfo.value)
    assert Tenant.objects.count() == tenants_before
    assert Domain.objects.count() == domains_before
    if domain not in {"ng.localhost"}:
        _assert_nothing_created(schema, domain)


def test_bad_arguments_exit_non_zero_from_the_shell(tmp_path):
    """The real CLI: a clear message on stderr and a non-zero exit status."""
    import subprocess
    import sys

    from django.conf import settings

    from tests.support.processes import child_env

    env = child_env()
    proc = subprocess.run(
        [sys.executable, "manage.py", "create_tenant", "--kind=country_operation", "--country=XX", "--name=Nope",
         "--domain=nope.localhost", "--admin-email=a@b.c"],
        capture_output=True, text=True, env=env, cwd=settings.PROJECT_ROOT, timeout=120)
    assert proc.returncode != 0
    assert "[unknown_country]" in proc.stderr


def test_suspend_and_reactivate_commands(tenants):
    out = io.StringIO()
    call_command("suspend_tenant", "sn.localhost", "--reason=compliance review", stdout=out)
    assert Tenant.objects.get(schema_name="sn").status == "suspended"
    call_command("reactivate_tenant", "sn", stdout=out)
    assert Tenant.objects.get(schema_name="sn").status == "active"
    with pytest.raises(CommandError, match="unknown_tenant"):
        call_command("suspend_tenant", "ghost.localhost", "--reason=x")
    with pytest.raises(CommandError, match="missing_reason"):
        call_command("suspend_tenant", "ng", "--reason=  ")


def test_list_tenants_shows_every_tenant(tenants):
    import json

    out = io.StringIO()
    call_command("list_tenants", "--json", stdout=out)
    rows = {row["schema"]: row for row in json.loads(out.getvalue())}
    assert {"ng", "sn", "gh", "quickvend"} <= set(rows)
    assert rows["quickvend"]["parent"] == "ng"
    assert rows["ng"]["domains"] == ["ng.localhost"]
    assert "public" not in rows
