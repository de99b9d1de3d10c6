"""Which gateway serves this tenant, and its connector + config (from the provider registry row).

A tenant may use a gateway when its country adapter lists the plugin key in
``gateways`` and the public provider registry has a usable row for that plugin
in the tenant's country with the needed capability. Credentials come from that
row (decrypted at the last moment by ``provider_config``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from provider_plugins.interfaces import ProviderConfig
from provider_plugins.interfaces.plugin import Capability
from shared_apps.core.errors import ApiError
from shared_apps.providers.models import Provider
from shared_apps.providers.selectors import providers_for
from shared_apps.providers.services import provider_config, provider_plugin
from tenant_apps.accounts.country import current_adapter, current_country

from .operation_rails import on_reseller_brand, operation_rails_here


class GatewayUnavailable(ApiError):
    code = "gateway_unavailable"
    message = gettext_lazy("This payment method is not available here.")


class GatewayError(ApiError):
    status_code = 502
    code = "gateway_error"
    message = gettext_lazy("The payment gateway could not be reached. Nothing was charged; try again.")


@dataclass(frozen=True)
class Gateway:
    key: str
    provider: Provider
    connector: Any
    config: ProviderConfig


def _build(provider: Provider, capability: Capability) -> Gateway:
    connector_class = provider_plugin(provider=provider).connector(capability)
    config = provider_config(provider=provider)
    return Gateway(key=provider.plugin_key, provider=provider, connector=connector_class(), config=config)


def tenant_gateway_keys() -> list[str]:
    return list(current_adapter().gateways)


def gateway_for(*, key: str, capability: Capability) -> Gateway:
    """The tenant's gateway ``key`` for ``capability``; 400 ``gateway_unavailable`` otherwise (a payout rail on a
    reseller brand: 403 ``not_on_reseller_brand``, wallet.operation_rails)."""
    if capability == Capability.PAYOUTS:
        operation_rails_here()
    if key not in tenant_gateway_keys():
        raise GatewayUnavailable(fields={"gateway": [gettext("Choose one of: %(choices)s.") % {
            "choices": ", ".join(tenant_gateway_keys())}]})
    provider = providers_for(country=current_country(), capability=capability.value).filter(plugin_key=key).first()
    if provider is None:
        raise GatewayUnavailable(fields={"gateway": [
            gettext("%(gateway)s is not configured for this country.") % {"gateway": key}]})
    return _build(provider, capability)


def gateways_for(*, key: str, capability: Capability) -> list[Gateway]:
    """Every usable registry row of gateway ``key`` here, in routing order (a webhook is checked against each:
    ``shared_apps.providers.callbacks.authenticate``); 400 ``gateway_unavailable`` when there is none."""
    first = gateway_for(key=key, capability=capability)
    others = providers_for(country=current_country(), capability=capability.value).filter(plugin_key=key) \
        .exclude(pk=first.provider.pk)
    return [first, *(_build(provider, capability) for provider in others)]


def gateway_by_provider_id(*, provider_id: int, capability: Capability) -> Gateway:
    """The exact registry row a payment was started with (even if it was disabled since)."""
    return _build(Provider.objects.get(pk=provider_id), capability)


def default_payout_gateway() -> Gateway:
    """The first payout-capable gateway of the tenant, in the order of ``WALLET_PAYOUT_GATEWAYS`` (none on a
    reseller brand: 403 ``not_on_reseller_brand``, wallet.operation_rails)."""
    operation_rails_here()
    preferred = [k for k in settings.WALLET_PAYOUT_GATEWAYS if k in tenant_gateway_keys()]
    for key in preferred:
        provider = providers_for(country=current_country(), capability=Capability.PAYOUTS.value) \
            .filter(plugin_key=key).first()
        if provider is not None:
            return _build(provider, Capability.PAYOUTS)
    raise GatewayUnavailable(gettext("Bank transfers are not available here."), code="payouts_unavailable")


def tenant_payment_gateways() -> list[dict[str, str]]:
    """What ``POST /api/wallet/fund`` accepts here: the adapter's gateways that have a usable registry row."""
    keys = tenant_gateway_keys()
    rows = providers_for(country=current_country(), capability=Capability.PAYMENTS.value).filter(plugin_key__in=keys)
    seen: dict[str, dict[str, str]] = {}
    for provider in rows:
        if provider.plugin_key in seen:
            continue
        connector = provider_plugin(provider=provider).connector(Capability.PAYMENTS)
        flow = "checkout" if hasattr(connector, "initialize_checkout") else "mobile_money"
        seen[provider.plugin_key] = {"gateway": provider.plugin_key, "name": provider_plugin(provider=provider).name,
                                     "flow": flow}
    return [seen[key] for key in keys if key in seen]


# -- payouts to mobile-money wallets ---------------------------------------------------------------

# Rails that pay only wallets of their own network (the country adapter's network keys); the others
# (Wave, CinetPay) reach any number registered with them. MTN's network is keyed ``lonestar`` in Liberia
# (Lonestar Cell MTN, countries/data/networks/LR.json): without it no Liberian number could be paid by MoMo.
WALLET_RAIL_NETWORKS: dict[str, frozenset[str]] = {"mtn_momo": frozenset({"mtn", "lonestar"}),
                                                    "airtel_money": frozenset({"airtel"})}


def wallet_payout_gateways() -> list[Gateway]:
    """This tenant's rails that pay into mobile-money wallets, in the adapter's order (one per plugin); none on a
    reseller brand (wallet.operation_rails)."""
    from provider_plugins.interfaces.payouts import WalletPayout

    if on_reseller_brand():
        return []
    keys = tenant_gateway_keys()
    rows = providers_for(country=current_country(), capability=Capability.PAYOUTS.value).filter(plugin_key__in=keys)
    found: dict[str, Gateway] = {}
    for provider in rows:
        if provider.plugin_key in found:
            continue
        gateway = _build(provider, Capability.PAYOUTS)
        if isinstance(gateway.connector, WalletPayout):
            found[provider.plugin_key] = gateway
    return [found[key] for key in keys if key in found]


def wallet_rail_reaches(key: str, network: str | None) -> bool:
    networks = WALLET_RAIL_NETWORKS.get(key)
    return networks is None or (network or "") in networks


def wallet_payout_gateway(*, key: str = "", network: str | None = None) -> Gateway:
    """The rail to pay a wallet: ``key`` when given (400 when it is not a wallet rail here or cannot reach
    the number's network), else the first of the tenant's wallet rails that reaches ``network``. 403
    ``not_on_reseller_brand`` on a reseller brand (wallet.operation_rails)."""
    operation_rails_here()
    rails = wallet_payout_gateways()
    if key:
        chosen = next((g for g in rails if g.key == key), None)
        if chosen is None:
            raise GatewayUnavailable(fields={"rail": [gettext("Choose one of: %(choices)s.") % {
                "choices": ", ".join(g.key for g in rails) or "-"}]},
                                     code="payouts_unavailable")
        if not wallet_rail_reaches(key, network):
            raise GatewayUnavailable(
                gettext("%(rail)s cannot pay this number's network.") % {"rail": chosen.provider.name},
                code="rail_network_mismatch", fields={"phone": [gettext("Another network.")]})
        return chosen
    for gateway in rails:
        if wallet_rail_reaches(gateway.key, network):
            return gateway
    raise GatewayUnavailable(gettext("Payouts to mobile-money wallets are not available for this number here."),
                             code="payouts_unavailable")
