"""DT One (Digital Value Services API): airtime and data in the 16 West African countries."""

from provider_plugins.interfaces.numbering import COUNTRIES
from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import DTOneCallbacks, DTOneConnector

PLUGIN = Plugin(
    key="dtone",
    name="DT One",
    connectors={Capability.AIRTIME: DTOneConnector, Capability.DATA: DTOneConnector},
    catalog=DTOneConnector,
    callbacks=DTOneCallbacks,
    simulator="provider_plugins.dtone.simulator:DTOneSimulator",
    demo_port=8704,
    countries=tuple(sorted(COUNTRIES)),
    credential_fields=("api_key", "api_secret"),
)
