"""Every registered plugin honours the interfaces; money helpers never lose a minor unit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_plugins.interfaces import (
    BillPaymentConnector,
    CallbackParser,
    CatalogConnector,
    ProviderConfig,
    TopupConnector,
    currency_exponent,
    from_minor,
    to_minor,
)
from provider_plugins.interfaces.fx import FxRateSource
from provider_plugins.interfaces.plugin import Capability
from provider_plugins.interfaces.sanctions import SanctionsScreener
from provider_plugins.registry import all_plugins
from tenant_apps.pricing.selectors import apply_margin_minor

CONFIG = ProviderConfig(base_url="http://127.0.0.1:9")
PROTOCOLS = {Capability.AIRTIME: TopupConnector, Capability.DATA: TopupConnector,
             Capability.ELECTRICITY: BillPaymentConnector, Capability.CABLE_TV: BillPaymentConnector,
             Capability.WATER: BillPaymentConnector, Capability.EDUCATION: BillPaymentConnector,
             Capability.INSURANCE: BillPaymentConnector, Capability.FX_RATES: FxRateSource,
             Capability.SANCTIONS: SanctionsScreener}


@pytest.mark.parametrize("plugin", all_plugins(), ids=lambda p: p.key)
def test_connectors_implement_their_capability_protocols(plugin):
    for capability, connector_class in plugin.connectors.items():
        if capability in PROTOCOLS:
            assert isinstance(connector_class(CONFIG), PROTOCOLS[capability]), (plugin.key, capability)
    if plugin.catalog is not None:
        assert isinstance(plugin.catalog(CONFIG), CatalogConnector)
    else:  # only payment rails, SMS, KYC, FX rates and sanctions screening have no catalog
        assert set(plugin.connectors) <= {Capability.PAYMENTS, Capability.PAYOUTS, Capability.SMS,
                                          Capability.KYC, Capability.FX_RATES, Capability.SANCTIONS}, plugin.key
    if plugin.callbacks is not None:
        assert isinstance(plugin.callbacks(CONFIG), CallbackParser)


def test_provider_config_never_shows_credentials():
    config = ProviderConfig(base_url="http://x", credentials={"secret_key": "SK_hidden"})
    assert "SK_hidden" not in repr(config) and "SK_hidden" not in str(config)


@given(amount=st.integers(min_value=0, max_value=10**15), currency=st.sampled_from(["NGN", "GHS", "XOF", "GNF"]))
def test_minor_units_round_trip(amount, currency):
    text = from_minor(amount, currency)
    assert to_minor(text, currency) == amount
    assert ("." in text) == (currency_exponent(currency) > 0)


@given(cost=st.integers(min_value=0, max_value=10**12), margin=st.integers(min_value=0, max_value=10_000))
def test_margin_is_exact_half_up_rounding(cost, margin):
    price = apply_margin_minor(cost, margin)
    exact = Decimal(cost) * (Decimal(10_000 + margin) / Decimal(10_000))
    assert abs(Decimal(price) - exact) <= Decimal("0.5")
    assert price >= cost
    assert (Decimal(price) - exact) < Decimal("0.5") or exact % 1 == Decimal("0.5")
