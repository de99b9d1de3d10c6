"""Plugin key -> plugin package. Adding a provider = one line here + its package.

Packages are imported lazily, so a broken or heavy plugin never slows the
others down, and the core never imports a plugin it does not use.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from provider_plugins.interfaces.plugin import Plugin

# One line per plugin (keep sorted; each package exposes ``PLUGIN``).
PLUGINS: dict[str, str] = {
    "africastalking": "provider_plugins.africastalking",
    "africastalking_ussd": "provider_plugins.africastalking_ussd",
    "aggregator": "provider_plugins.aggregator",
    "airtel_money": "provider_plugins.airtel_money",
    "cinetpay": "provider_plugins.cinetpay",
    "dtone": "provider_plugins.dtone",
    "flutterwave": "provider_plugins.flutterwave",
    "kyc_verifier": "provider_plugins.kyc_verifier",
    "mtn_momo": "provider_plugins.mtn_momo",
    "onepipe": "provider_plugins.onepipe",
    "openexchangerates": "provider_plugins.openexchangerates",
    "opensanctions": "provider_plugins.opensanctions",
    "orange_money": "provider_plugins.orange_money",
    "paystack": "provider_plugins.paystack",
    "sms_gateway": "provider_plugins.sms_gateway",
    "vtpass": "provider_plugins.vtpass",
    "wave": "provider_plugins.wave",
}


class UnknownPlugin(LookupError):
    pass


@cache
def get_plugin(key: str) -> Plugin:
    try:
        module = PLUGINS[key]
    except KeyError:
        raise UnknownPlugin(f"no provider plugin registered as {key!r}") from None
    plugin = import_module(module).PLUGIN
    if plugin.key != key:
        raise UnknownPlugin(f"{module} declares key {plugin.key!r}, registered as {key!r}")
    return plugin


def plugin_keys() -> list[str]:
    return sorted(PLUGINS)


def all_plugins() -> list[Plugin]:
    return [get_plugin(key) for key in plugin_keys()]
