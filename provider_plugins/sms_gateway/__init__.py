"""SMS gateway plugin speaking a Termii-shaped HTTP API (``POST /api/sms/send``).

The simulator keeps every accepted message in an outbox readable over HTTP
(``/outbox`` for people, ``/outbox.json`` for tests), so sign-up can be
completed without a phone.
"""

from __future__ import annotations

from .connector import TermiiSmsConnector

PLUGIN = {
    "name": "sms_gateway",
    "display_name": "SMS gateway (Termii-compatible)",
    "capabilities": ("sms",),
    "countries": ("*",),
    "connector": TermiiSmsConnector,
    "simulator": "provider_plugins.sms_gateway.simulator:SmsGatewaySimulator",
    "credentials": ("api_key",),
    "options": ("sender_id", "channel"),
}

__all__ = ["PLUGIN", "TermiiSmsConnector"]
