"""The adapters' code defaults, from ``countries/adapters/`` (no database, no overrides).

The registry (``countries.registry``) adds the deployment's overrides on top; the override model validates
against these defaults, so it imports this module and not the registry (which reads the overrides).
"""

from __future__ import annotations

import pkgutil
from functools import cache
from importlib import import_module

from . import adapters as adapters_package
from .base import CountryAdapter
from .errors import UnknownCountry


@cache
def default_adapters() -> dict[str, CountryAdapter]:
    """Every adapter of the package by country code (sorted)."""
    found: dict[str, CountryAdapter] = {}
    for info in pkgutil.iter_modules(adapters_package.__path__):
        module = import_module(f"{adapters_package.__name__}.{info.name}")
        adapter = getattr(module, "adapter", None)
        if isinstance(adapter, CountryAdapter):
            found[adapter.code] = adapter
    return dict(sorted(found.items()))


def _normalise(code: str) -> str:
    return code.strip().upper() if isinstance(code, str) else ""


def default_adapter(code: str) -> CountryAdapter:
    """The adapter's code defaults, without database overrides (no DB access)."""
    adapter = default_adapters().get(_normalise(code))
    if adapter is None:
        raise UnknownCountry(str(code))
    return adapter
