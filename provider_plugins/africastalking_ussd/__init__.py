"""USSD through Africa's Talking: the callback protocol (``protocol.py``) and a gateway simulator.

A channel, not a provider capability: ``Plugin.channels["ussd"]`` (tenant_apps.ussd serves it at
``/ussd/africastalking/<token>`` on each tenant domain; docs/ussd.md).
"""

from provider_plugins.interfaces.plugin import Plugin

from .protocol import AfricasTalkingUssd

PLUGIN = Plugin(
    key="africastalking_ussd",
    name="Africa's Talking USSD",
    channels={"ussd": AfricasTalkingUssd},
    simulator="provider_plugins.africastalking_ussd.simulator:AfricasTalkingUssdSimulator",
    demo_port=8030,
    countries=(),
)

__all__ = ["PLUGIN", "AfricasTalkingUssd"]
