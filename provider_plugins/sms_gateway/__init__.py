"""SMS gateway plugin speaking a Termii-shaped HTTP API (``POST /api/sms/send``).

The simulator keeps every accepted message in an outbox readable over HTTP
(``/outbox`` for people, ``/outbox.json`` for tests), so sign-up can be
completed without a phone.
"""

from __future__ import annotations

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import TermiiSmsConnector

PLUGIN = Plugin(
    key="sms_gateway",
    name="SMS gateway (Termii-compatible)",
    connectors={Capability.SMS: TermiiSmsConnector},
    simulator="provider_plugins.sms_gateway.simulator:SmsGatewaySimulator",
    demo_port=8025,
    countries=(),
    credential_fields=("api_key",),
)

__all__ = ["PLUGIN", "TermiiSmsConnector"]
