"""Sanctions screening through an OpenSanctions-shaped match API (``POST /match/{dataset}``), with a simulator."""

from __future__ import annotations

from provider_plugins.interfaces.plugin import Capability, Plugin

from .connector import OpenSanctionsConnector

PLUGIN = Plugin(
    key="opensanctions",
    name="OpenSanctions (match API)",
    connectors={Capability.SANCTIONS: OpenSanctionsConnector},
    simulator="provider_plugins.opensanctions.simulator:OpenSanctionsSimulator",
    demo_port=8743,
    credential_fields=("api_key",),
)

__all__ = ["PLUGIN", "OpenSanctionsConnector"]
