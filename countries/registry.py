"""Find country adapters: the defaults from ``countries/adapters/`` (countries.defaults), with the deployment's
overrides (countries.overrides)."""

from __future__ import annotations

from django.conf import settings

from .base import CountryAdapter
from .defaults import default_adapter, default_adapters
from .overrides import effective_overrides

__all__ = ["all_adapters", "default_adapter", "enabled_adapters", "get_adapter"]


def _deployment_countries() -> set[str]:
    return set(getattr(settings, "NEXUSTOP_COUNTRIES", default_adapters().keys()))


def _effective(adapter: CountryAdapter, overrides: dict[str, dict]) -> CountryAdapter:
    effective = adapter.with_overrides(overrides.get(adapter.code))
    if adapter.code not in _deployment_countries() and effective.enabled:
        effective = effective.with_overrides({"enabled": False})
    return effective


def get_adapter(code: str) -> CountryAdapter:
    """The effective adapter (defaults + override); raises UnknownCountry. Disabled ones too: check ``.enabled``."""
    return _effective(default_adapter(code), effective_overrides())


def all_adapters() -> list[CountryAdapter]:
    overrides = effective_overrides()
    return [_effective(adapter, overrides) for adapter in default_adapters().values()]


def enabled_adapters() -> list[CountryAdapter]:
    return [adapter for adapter in all_adapters() if adapter.enabled]
