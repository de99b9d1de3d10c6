"""SMS through Africa's Talking (``POST /version1/messaging``), beside the Termii-shaped ``sms_gateway``.

Chosen with ``SMS_GATEWAY["PLUGIN"] = "africastalking"`` (credentials ``USERNAME`` + ``API_KEY``), or per
country by a registry row with capability ``sms`` (tenant_apps.notifications.services.sms_gateway).
"""

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import AfricasTalkingSmsConnector

PLUGIN = Plugin(
    key="africastalking",
    name="Africa's Talking SMS",
    connectors={Capability.SMS: AfricasTalkingSmsConnector},
    simulator="provider_plugins.africastalking.simulator:AfricasTalkingSimulator",
    demo_port=8029,
    countries=(),
    credential_fields=("username", "api_key"),
)

__all__ = ["PLUGIN", "AfricasTalkingSmsConnector"]
