"""Provider registry: validation, routing order, credentials encrypted at rest and never leaked."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import override_settings

from provider_plugins.interfaces import AirtimeTopupRequest, ProviderAuthError
from provider_plugins.vtpass.simulator import VTPassSimulator
from shared_apps.providers.crypto import CredentialsError, decrypt_credentials
from shared_apps.providers.models import Provider, ProviderStatus
from shared_apps.providers.selectors import providers_for
from shared_apps.providers.services import (
    provider_config,
    provider_plugin,
    provider_register,
    provider_set_credentials,
)

from .helpers import VTPASS_API_KEYS, vtpass_request_id

pytestmark = pytest.mark.django_db

SECRET = "SK_live_do_not_leak_4f9a2c"


def register(**overrides: Any):
    spec: dict[str, Any] = {"name": "VTPass", "country": "NG", "plugin_key": "vtpass", "base_url": "http://127.0.0.1:9",
            "capabilities": ["airtime", "data"], "credentials": {"api_key": "k", "secret_key": SECRET}}
    spec.update(overrides)
    return provider_register(**spec)


def raw_column(provider) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials_encrypted FROM providers_provider WHERE id = %s", [provider.pk])
        return cursor.fetchone()[0]


def test_credentials_are_encrypted_at_rest_and_decrypted_for_the_connector():
    provider = register()
    stored = raw_column(provider)
    assert stored and SECRET not in stored and "secret_key" not in stored
    config = provider_config(provider=provider)
    assert config.credentials == {"api_key": "k", "secret_key": SECRET}
    assert SECRET not in repr(config) and SECRET not in repr(provider) and SECRET not in str(provider)


def test_key_rotation_keeps_old_credentials_readable():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(PROVIDER_CREDENTIALS_KEYS=[old]):
        provider = register()
    with override_settings(PROVIDER_CREDENTIALS_KEYS=[new, old]):
        assert provider_config(provider=provider).credentials["secret_key"] == SECRET
        provider_set_credentials(provider=provider, credentials={"api_key": "k2", "secret_key": "rotated"})
    with override_settings(PROVIDER_CREDENTIALS_KEYS=[new]):
        provider.refresh_from_db()
        assert provider_config(provider=provider).credentials["api_key"] == "k2"
    with override_settings(PROVIDER_CREDENTIALS_KEYS=[old]), pytest.raises(CredentialsError):
        decrypt_credentials(raw_column(provider))


def test_register_is_an_idempotent_upsert():
    first = register()
    second = register(routing_priority=5, base_url="http://127.0.0.1:10")
    assert first.pk == second.pk and Provider.objects.filter(name="VTPass", country="NG").count() == 1
    assert second.routing_priority == 5


@pytest.mark.parametrize(("overrides", "field"), [
    ({"plugin_key": "nope"}, "plugin_key"),
    ({"country": "FR"}, "country"),
    ({"capabilities": ["teleport"]}, "capabilities"),
    ({"plugin_key": "dtone", "capabilities": ["electricity"]}, "capabilities"),
])
def test_register_validates(overrides, field):
    with pytest.raises(ValidationError) as caught:
        register(**overrides)
    assert field in caught.value.message_dict


def test_routing_order_by_status_then_priority():
    slow = register(name="Slow", routing_priority=50)
    fast = register(name="Fast", routing_priority=10)
    fallback = register(name="Fallback", routing_priority=1, status=ProviderStatus.DEGRADED)
    register(name="Off", routing_priority=1, status=ProviderStatus.DISABLED)
    register(name="Electric only", capabilities=["electricity"])
    assert list(providers_for(country="ng", capability="airtime")) == [fast, slow, fallback]
    assert provider_plugin(provider=fast).key == "vtpass"


def test_admin_never_shows_credentials(client, django_user_model):
    provider = register()
    admin = django_user_model.objects.create_superuser("root@nexustop.test", "Very-secret-pw-2026")
    client.force_login(admin)
    for url in (f"/admin/providers/provider/{provider.pk}/change/", "/admin/providers/provider/"):
        response = client.get(url, HTTP_HOST="localhost")
        assert response.status_code == 200
        body = response.content.decode()
        assert SECRET not in body and raw_column(provider) not in body
    response = client.post(f"/admin/providers/provider/{provider.pk}/change/", {
        "name": "VTPass", "country": "NG", "capabilities": "airtime,data", "plugin_key": "vtpass",
        "base_url": "http://127.0.0.1:9", "options": "{}", "timeout_seconds": 30, "status": "active",
        "routing_priority": 100, "new_credentials": '{"api_key": "k3", "secret_key": "from-admin"}'},
        HTTP_HOST="localhost")
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider_config(provider=provider).credentials["secret_key"] == "from-admin"


def test_no_log_line_carries_credentials(caplog, host_client):
    """Register, sync, list and fail auth with DEBUG logging everywhere: the secret never shows up."""
    from shared_apps.catalog.services import catalog_sync_provider

    caplog.set_level(logging.DEBUG)
    with VTPassSimulator() as sim:
        wrong = {**VTPASS_API_KEYS, "secret_key": SECRET}
        provider = register(base_url=sim.url, credentials=VTPASS_API_KEYS)
        report = catalog_sync_provider(provider_id=provider.pk)
        assert report.created == 12  # only what the row is registered for: airtime and data
        assert host_client("ng.localhost").get("/api/products", {"type": "data"}).status_code == 200
        provider_set_credentials(provider=provider, credentials=wrong)
        connector = provider_plugin(provider=provider).connector("airtime")(provider_config(provider=provider))
        with pytest.raises(ProviderAuthError) as caught:
            connector.airtime(AirtimeTopupRequest(vtpass_request_id(), "08011111111", 10_000, "NGN", "NG", "mtn"))
        logging.getLogger("test").error("purchase failed: %r %s", caught.value, caught.value)
    assert caplog.records, "expected some log output to inspect"
    for secret in (SECRET, VTPASS_API_KEYS["secret_key"], VTPASS_API_KEYS["api_key"]):
        assert secret not in caplog.text
