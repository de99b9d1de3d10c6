"""MTN direct (Nigeria): airtime and data top-up, signed webhooks."""

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import MTNCallbacks, MTNConnector
from .simulator import MTNSimulator

PLUGIN = Plugin(
    key="mtn",
    name="MTN direct",
    connectors={Capability.AIRTIME: MTNConnector, Capability.DATA: MTNConnector},
    catalog=MTNConnector,
    callbacks=MTNCallbacks,
    simulator=MTNSimulator,
    demo_port=8703,
    countries=("NG",),
)
