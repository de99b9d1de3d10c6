"""The JWT authentication's cheaper path (issue 18): the user read by one written statement, a token's
validation remembered for its exact bytes until it expires. Neither may let anything through that the full
check refuses."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django_tenants.utils import schema_context
from rest_framework_simplejwt.tokens import AccessToken

from tenant_apps.accounts.authentication import user_by_public_id
from tenants.connection import tenant_connection
from tests.accounts.helpers import call, make_user

pytestmark = pytest.mark.django_db


def _token(user, **claims) -> str:
    from tenant_apps.accounts.tokens import tokens_for_user

    access = tokens_for_user(user)[0]
    if not claims:
        return access
    token = AccessToken(access)  # type: ignore[arg-type]  # simplejwt types the encoded token as Token
    if "lifetime" in claims:
        token.set_exp(lifetime=claims["lifetime"])
    return str(token)


def test_the_raw_lookup_reads_the_same_user_as_the_orm():
    from tenant_apps.accounts.models import User

    user = make_user("ng", email="lookup@example.test", phone="+2348031115001")
    with schema_context("ng"):
        raw = user_by_public_id(user.public_id)
        orm = User.objects.get(pk=user.pk)
        assert raw is not None and raw.pk == orm.pk and not raw._state.adding
        for field in User._meta.concrete_fields:
            assert getattr(raw, field.attname) == getattr(orm, field.attname), field.attname
        assert user_by_public_id("not-a-uuid") is None
    with schema_context("sn"):
        assert user_by_public_id(user.public_id) is None  # the current schema only
    assert tenant_connection().schema_name == "public"


def test_a_remembered_token_does_not_outlive_its_expiry(host_client):
    user = make_user("ng", email="short-lived@example.test", phone="+2348031115002")
    with schema_context("ng"):
        token = _token(user, lifetime=timedelta(seconds=2))
    client = host_client("ng.localhost")
    assert call(client, "GET", "/api/wallet", token=token).status_code == 200
    assert call(client, "GET", "/api/wallet", token=token).status_code == 200  # remembered
    time.sleep(2.2)
    expired = call(client, "GET", "/api/wallet", token=token)
    assert expired.status_code == 401 and expired.json()["error"]["code"] == "token_not_valid"


def test_a_remembered_token_is_no_key_for_a_tampered_one(host_client):
    user = make_user("ng", email="tamper@example.test", phone="+2348031115003")
    with schema_context("ng"):
        token = _token(user)
    client = host_client("ng.localhost")
    assert call(client, "GET", "/api/wallet", token=token).status_code == 200
    header, payload, signature = token.split(".")
    for forged in (f"{header}.{payload}.{signature[:-2]}xx", f"{header}.{payload}x.{signature}",
                   f"{header}.{payload}."):
        assert call(client, "GET", "/api/wallet", token=forged).status_code == 401


def test_the_user_is_checked_on_every_request_even_with_a_remembered_token(host_client):
    from tenant_apps.accounts.models import User

    user = make_user("ng", email="deactivated@example.test", phone="+2348031115004")
    with schema_context("ng"):
        token = _token(user)
    client = host_client("ng.localhost")
    assert call(client, "GET", "/api/wallet", token=token).status_code == 200
    with schema_context("ng"):
        User.objects.filter(pk=user.pk).update(is_active=False)
    refused = call(client, "GET", "/api/wallet", token=token)
    assert refused.status_code == 401
