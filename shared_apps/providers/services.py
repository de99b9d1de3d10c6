"""Writes to the provider registry and the bridge to plugins (ProviderConfig)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from countries.codes import is_west_african
from provider_plugins.interfaces import ProviderConfig
from provider_plugins.interfaces.observe import ObservedSession
from provider_plugins.interfaces.plugin import Capability, Plugin
from provider_plugins.registry import UnknownPlugin, get_plugin

from .crypto import decrypt_credentials, encrypt_credentials
from .models import Provider, ProviderStatus


def validate_endpoint_url(value: str) -> None:
    """A provider's base URL, as a person types it in the console or the Django admin: the platform sends the
    provider's credentials there and archives its answers, so the rule of every outbound URL a person supplies
    (shared_apps.core.outbound.check_url): https to a public address only, never the metadata service, a private
    or loopback address (the local simulators only where ``OUTBOUND_URLS["ALLOW_LOOPBACK"]`` is on: dev, tests)."""
    from shared_apps.core.outbound import UrlNotAllowed, check_url

    try:
        check_url(value)
    except UrlNotAllowed as error:
        reasons = (error.fields or {}).get("url") or [str(error.message)]
        raise ValidationError(str(reasons[0]), code="url_not_allowed") from None


def require_credentials_for_new_host(*, current_url: str, new_url: str, new_credentials: object) -> None:
    """A base URL moving to another host must come with the credentials for it: the stored ones were issued for
    the old host and are never sent to a new one (a console or admin user could otherwise point a provider at a
    server of their own and receive its keys with the next call)."""
    from urllib.parse import urlsplit

    def host(url: str) -> str:
        parts = urlsplit(url or "")
        return f"{parts.scheme}://{(parts.hostname or '').lower()}:{parts.port or ''}"

    if current_url and host(current_url) != host(new_url) and not new_credentials:
        raise ValidationError("The base URL moves to another host: enter the credentials for it again (the stored "
                              "ones are never sent to a new host).", code="credentials_required_for_new_host")


def _validate(*, plugin_key: str, country: str, capabilities: list[str]) -> Plugin:
    try:
        plugin = get_plugin(plugin_key)
    except UnknownPlugin:
        raise ValidationError({"plugin_key": f"No provider plugin is registered as {plugin_key!r}."}) from None
    if not is_west_african(country):
        raise ValidationError({"country": f"{country!r} is not a country NexusTop serves."})
    if plugin.countries and country.upper() not in plugin.countries:
        raise ValidationError({"country": f"{plugin.name} does not serve {country!r}."})
    unknown = [c for c in capabilities if c not in {cap.value for cap in Capability}]
    if unknown:
        raise ValidationError({"capabilities": f"Unknown capabilities: {', '.join(unknown)}."})
    missing = [c for c in capabilities if Capability(c) not in plugin.connectors]
    if missing:
        raise ValidationError({"capabilities": f"Plugin {plugin_key!r} cannot do: {', '.join(missing)}."})
    return plugin


@transaction.atomic
def provider_register(*, name: str, country: str, plugin_key: str, base_url: str, capabilities: list[str],
                      credentials: dict[str, str] | None = None, options: dict | None = None,
                      routing_priority: int = 100, status: str = ProviderStatus.ACTIVE,
                      timeout_seconds: int = 30) -> Provider:
    """Create or update the registry entry (keyed by name + country). Idempotent."""
    country = country.upper()
    _validate(plugin_key=plugin_key, country=country, capabilities=capabilities)
    provider, _ = Provider.objects.select_for_update().get_or_create(  # lock: standalone
        name=name, country=country,
        defaults={"plugin_key": plugin_key, "base_url": base_url, "capabilities": capabilities})
    provider.plugin_key, provider.base_url, provider.capabilities = plugin_key, base_url, list(capabilities)
    provider.options = options or {}
    provider.routing_priority, provider.status, provider.timeout_seconds = routing_priority, status, timeout_seconds
    if credentials is not None:
        provider.credentials_encrypted = encrypt_credentials(credentials)
    provider.full_clean(exclude=["credentials_encrypted"])
    provider.save()
    return provider


def provider_set_credentials(*, provider: Provider, credentials: dict[str, str]) -> None:
    provider.credentials_encrypted = encrypt_credentials(credentials)
    provider.save(update_fields=["credentials_encrypted", "updated_at"])


def provider_config(*, provider: Provider, session=None, extra_options: dict | None = None) -> ProviderConfig:
    """Everything a connector needs, credentials decrypted at the last moment."""
    return ProviderConfig(
        base_url=provider.base_url,
        credentials=decrypt_credentials(provider.credentials_encrypted),
        timeout_seconds=float(provider.timeout_seconds),
        options={"country": provider.country, **(provider.options or {}), **(extra_options or {})},
        # Seen by the provider archive. A session of its own (no keep-alive pool shared across calls): a provider
        # that restarts or drops idle connections never meets a stale pooled socket. The purchase path passes
        # its own pooled session (tenant_apps.orders).
        session=session if session is not None else ObservedSession(),
    )


def provider_plugin(*, provider: Provider) -> Plugin:
    return get_plugin(provider.plugin_key)
