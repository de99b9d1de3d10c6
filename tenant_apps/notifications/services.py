"""Sending SMS through the configured provider plugin, with a delivery log."""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.utils import timezone

from provider_plugins.interfaces.common import ProviderConfig, ProviderError, ProviderTimeout
from provider_plugins.interfaces.observe import observed_session
from provider_plugins.interfaces.plugin import Capability
from provider_plugins.interfaces.sms import SmsConnector
from provider_plugins.interfaces.sms import SmsMessage as OutgoingSms
from provider_plugins.registry import get_plugin
from tenant_apps.provider_archive.services import archived_call

from .models import SmsMessage, SmsStatus

logger = logging.getLogger(__name__)


def _registry_sms() -> tuple[str, SmsConnector, ProviderConfig] | None:
    """A registry row with capability ``sms`` for the tenant's country (e.g. Africa's Talking), if any."""
    from django.db import connection

    country = getattr(getattr(connection, "tenant", None), "country", "")
    if not country or getattr(connection, "schema_name", "public") == "public":
        return None
    from shared_apps.providers.selectors import providers_for
    from shared_apps.providers.services import provider_config, provider_plugin

    provider = providers_for(country=country, capability=Capability.SMS.value).first()
    if provider is None:
        return None
    config = provider_config(provider=provider, extra_options={
        "sender_id": (provider.options or {}).get("sender_id") or settings.SMS_GATEWAY.get("SENDER_ID", "NexusTop")})
    return provider.plugin_key, provider_plugin(provider=provider).connector(Capability.SMS)(), config


def brand_sender_id() -> str:
    """The sender name of the tenant the connection is on (a reseller's own, ``Tenant.sms_sender_id``), or "":
    the gateway's default. A white-label brand's customers and agents got texts from "NexusTop"."""
    from django.db import connection

    from tenants.models import Tenant

    tenant = getattr(connection, "tenant", None)
    schema = getattr(connection, "schema_name", "public") or "public"
    if not isinstance(tenant, Tenant) or tenant.schema_name != schema:
        tenant = Tenant.objects.filter(schema_name=schema).only("sms_sender_id").first()
    return (tenant.sms_sender_id if tenant is not None else "") or ""


def sms_gateway() -> tuple[str, SmsConnector, ProviderConfig]:
    """The SMS plugin (by name, never a static import of a provider) and its config: the country's registry row
    with capability ``sms`` when there is one, else ``SMS_GATEWAY`` (``PLUGIN``: ``sms_gateway`` (Termii-shaped)
    or ``africastalking``; ``USERNAME`` is Africa's Talking's account name)."""
    found = _registry_sms()
    if found is not None:
        return found
    conf = settings.SMS_GATEWAY
    name = conf["PLUGIN"]
    plugin = get_plugin(name)
    credentials = {"api_key": conf["API_KEY"]}
    if conf.get("USERNAME"):
        credentials["username"] = conf["USERNAME"]
    config = ProviderConfig(
        base_url=conf["BASE_URL"],
        credentials=credentials,
        timeout_seconds=float(conf.get("TIMEOUT_SECONDS", 10.0)),
        options={"sender_id": conf.get("SENDER_ID", "NexusTop")},
        session=observed_session(),
    )
    return name, plugin.connector(Capability.SMS)(), config


def sms_send(*, to: str, text: str, purpose: str, redacted_text: str | None = None) -> SmsMessage:
    """Send one SMS now and log the outcome. Never raises for provider trouble: the row says what happened.

    ``redacted_text`` is what gets stored (pass it whenever ``text`` holds a secret).
    """
    provider, connector, config = sms_gateway()
    message = SmsMessage.objects.create(to=to, purpose=purpose, body_redacted=redacted_text or text,
                                        provider=provider)
    # Words of the text that the stored copy hides (a code, a PIN) are secrets for the provider archive too.
    hidden = [word for word in re.findall(r"\w{4,}", text) if word not in message.body_redacted]
    try:
        with archived_call(subject_type="sms", subject_id=message.pk, attempt_ref=str(message.reference),
                           operation="send", plugin_key=provider, config=config, personal=[to],
                           secrets=hidden):
            result = connector.send(config, OutgoingSms(to=to, text=text, reference=str(message.reference),
                                                        sender_id=brand_sender_id() or
                                                        config.options.get("sender_id", "")))
    except ProviderTimeout:
        message.status, message.error_code = SmsStatus.PENDING, ProviderTimeout.code
        logger.warning("SMS %s: provider timeout", message.reference)
    except ProviderError as exc:
        message.status, message.error_code = SmsStatus.FAILED, exc.code
        logger.warning("SMS %s failed: %s", message.reference, exc.code)
    else:
        message.status = SmsStatus.SENT
        message.provider_message_id = result.provider_message_id
        message.sent_at = timezone.now()
    message.save(update_fields=["status", "error_code", "provider_message_id", "sent_at"])
    return message
