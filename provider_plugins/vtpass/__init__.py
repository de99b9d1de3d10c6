"""VTPass (Nigeria): airtime, data, electricity prepaid/postpaid, cable TV."""

from provider_plugins.interfaces.plugin import Capability, Plugin

from . import protocol as p
from .connector import VTPassCallbacks, VTPassConnector
from .protocol import make_request_id

PLUGIN = Plugin(
    key="vtpass",
    name="VTPass",
    connectors={Capability.AIRTIME: VTPassConnector, Capability.DATA: VTPassConnector,
                Capability.ELECTRICITY: VTPassConnector, Capability.CABLE_TV: VTPassConnector,
                Capability.EDUCATION: VTPassConnector, Capability.INSURANCE: VTPassConnector},
    catalog=VTPassConnector,
    callbacks=VTPassCallbacks,
    simulator="provider_plugins.vtpass.simulator:VTPassSimulator",
    demo_port=8701,
    countries=("NG",),
    request_id_factory=make_request_id,
    sandbox_recipients=(p.SANDBOX_SUCCESS_PHONE, p.SANDBOX_PENDING_PHONE, p.SANDBOX_TIMEOUT_PHONE,
                        p.SANDBOX_NO_RESPONSE_PHONE, p.SANDBOX_UNEXPECTED_PHONE),
)
