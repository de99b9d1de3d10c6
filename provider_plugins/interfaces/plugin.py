"""What a plugin package declares: its connectors per capability and where its simulator is."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module

__all__ = ["Capability", "Plugin"]


class Capability(enum.StrEnum):
    AIRTIME = "airtime"
    DATA = "data"
    ELECTRICITY = "electricity"
    CABLE_TV = "cable_tv"
    WATER = "water"
    EDUCATION = "education"
    INSURANCE = "insurance"
    PAYMENTS = "payments"
    PAYOUTS = "payouts"
    KYC = "kyc"
    SMS = "sms"
    FX_RATES = "fx_rates"  # mid-market rates for remittances (interfaces.fx)
    SANCTIONS = "sanctions"  # name screening before money crosses a border (interfaces.sanctions)


@dataclass(frozen=True)
class Plugin:
    """A provider plugin as the core sees it.

    Every connector class is constructed with a :class:`ProviderConfig` and is
    otherwise stateless. ``catalog`` lists products for the catalog sync;
    ``callbacks`` turns an inbound webhook into a typed update; ``simulator`` names
    (``"module:Class"``) a real HTTP server speaking the same protocol, for tests and ``make run``:
    :meth:`load_simulator` imports it where one runs, so importing a plugin never loads its simulator.
    """

    key: str
    name: str
    connectors: Mapping[Capability, type] = field(default_factory=dict)
    # Customer channels the plugin speaks (not capabilities bought from a provider): "ussd" ->
    # a class implementing ``interfaces.ussd.UssdProtocol``.
    channels: Mapping[str, type] = field(default_factory=dict)
    catalog: type | None = None
    callbacks: type | None = None
    simulator: str | None = None  # "provider_plugins.<key>.simulator:<Class>"
    demo_port: int | None = None
    countries: tuple[str, ...] = ()
    currencies: tuple[str, ...] = ()
    # Names of the secrets an operator must enter in the registry (never logged, never returned).
    credential_fields: tuple[str, ...] = ()
    # Some providers impose a request-id format (VTPass: YYYYMMDDHHII + suffix). The core calls
    # ``new_request_id`` once per provider attempt, stores the result and reuses it for every retry.
    request_id_factory: Callable[[str, datetime], str] | None = None
    # Recipients the provider's own sandbox documents as test numbers (VTPass "08011111111", ...).
    # A tenant in sandbox mode lets exactly these through phone validation, for this plugin only.
    sandbox_recipients: tuple[str, ...] = ()

    def new_request_id(self, reference: str, created_at: datetime) -> str:
        if self.request_id_factory is None:
            return reference
        return self.request_id_factory(reference, created_at)

    def load_simulator(self) -> type:
        """The simulator class, imported now (only tests, the demo and ``provider_plugins.simulate`` call this)."""
        if self.simulator is None:
            raise LookupError(f"plugin {self.key!r} has no simulator")
        module, _, name = self.simulator.partition(":")
        return getattr(import_module(module), name)

    @property
    def capabilities(self) -> tuple[Capability, ...]:
        return tuple(self.connectors)

    def connector(self, capability: Capability | str) -> type:
        try:
            return self.connectors[Capability(capability)]
        except (KeyError, ValueError):
            raise LookupError(f"plugin {self.key!r} has no {capability!r} connector") from None
