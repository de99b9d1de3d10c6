"""What the destination's payout rails can pay: a remittance to a mobile-money wallet is quoted in its step."""

from __future__ import annotations

import math

from django.utils.translation import gettext

from countries.registry import get_adapter
from provider_plugins.interfaces.payouts import payout_step_minor
from provider_plugins.interfaces.plugin import Capability
from provider_plugins.registry import get_plugin
from shared_apps.core.errors import ApiError

# The destination's rail kinds that pay each method out (the wallet method is a credit there: always offered).
PAYOUT_KINDS = {"mobile_money": ("mobile_money",), "bank": ("card", "bank_transfer")}


def payouts_offered(*, destination: str, method: str) -> None:
    """Refuse a method no rail of the destination pays out (Cabo Verde and Mauritania have none, Guinea-Bissau and
    Sierra Leone only collect): quoted, it was accepted, the money left, the payout failed over there and the
    sender was refunded minutes later."""
    kinds = PAYOUT_KINDS.get(method)
    if kinds is None:
        return
    rails = get_adapter(destination).active_rails
    if any(r.payout and r.kind in kinds for r in rails):
        return
    methods = ["wallet", *(name for name, kinds_of in PAYOUT_KINDS.items()
                           if any(r.payout and r.kind in kinds_of for r in rails))]
    raise ApiError(gettext("This service does not pay out in that country."), code="payouts_unavailable",
                   fields={"method": [gettext("Choose one of: %(choices)s.") % {"choices": ", ".join(methods)}]})


def payout_step(*, destination: str, rail: str, currency: str) -> int:
    """The amount step (minor units) of the destination's wallet payout rail ``rail``, or when none is named the
    least common multiple of the steps of every wallet rail the destination lists (the receiver pays through
    the first that reaches the number). A CinetPay transfer is a multiple of 5 units and an Airtel Money
    disbursement whole units: a receive amount off that step failed at the rail and the sender was refunded."""
    listed = [r.key for r in get_adapter(destination).active_rails if r.payout and r.kind != "agent"]
    if rail and rail not in listed:  # it would only be refused over there, after the money left: refund
        raise ApiError(gettext("This service does not pay out in that country."), code="payouts_unavailable",
                       fields={"rail": [gettext("Choose one of: %(choices)s.") % {
                           "choices": ", ".join(listed) or "-"}]})
    keys = [rail] if rail else listed
    step = 1
    for key in keys:
        try:
            connector = get_plugin(key).connector(Capability.PAYOUTS)
        except (LookupError, KeyError, ValueError):
            continue  # an unknown rail is refused when the payout is made
        step = math.lcm(step, payout_step_minor(connector(), currency))
    return step


def payout_reaches(*, destination: str, rail: str, phone: str) -> None:
    """Refuse a wallet number no wallet rail of the destination can pay (its network, from the number's prefix, as
    the receiving site's ``wallet_payout_gateway`` decides it): an Orange Money number in Liberia, where only MTN
    MoMo pays out, or ``rail: airtel_money`` for an MTN number in Niger, was quoted and accepted; the money left,
    the payout was refused over there (``rail_network_mismatch``) and the sender was refunded minutes later."""
    from countries.errors import CountryError
    from tenant_apps.wallet.gateways import WALLET_RAIL_NETWORKS

    adapter = get_adapter(destination)
    try:
        network = adapter.detect_network(phone) or ""
    except (ValueError, CountryError):
        network = ""
    listed = [r.key for r in adapter.active_rails if r.payout and r.kind in PAYOUT_KINDS["mobile_money"]]
    keys = [rail] if rail else listed
    if any(key not in WALLET_RAIL_NETWORKS or network in WALLET_RAIL_NETWORKS[key] for key in keys):
        return
    if rail:
        raise ApiError(gettext("This rail cannot pay this number's network."), code="rail_network_mismatch",
                       fields={"recipient_phone": [gettext("Another network.")]})
    raise ApiError(gettext("No mobile-money rail pays this number's network in that country."),
                   code="payouts_unavailable",
                   fields={"recipient_phone": [gettext("Choose one of: %(choices)s.") % {"choices": "wallet"}]})
