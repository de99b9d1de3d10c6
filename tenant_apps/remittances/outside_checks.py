"""The remittance's two outside checks, through their plugins: the mid-market rate source and the sanctions
screener (the country's registry row first, then the deployment's settings)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from provider_plugins.interfaces.common import ProviderConfig, ProviderError
from provider_plugins.interfaces.fx import RATE_SCALE
from provider_plugins.interfaces.plugin import Capability
from provider_plugins.interfaces.sanctions import ScreeningSubject
from provider_plugins.registry import get_plugin
from tenant_apps.accounts.country import current_country

from .errors import RateUnavailable, ScreeningUnavailable

logger = logging.getLogger(__name__)


def _provider(capability: Capability, conf: dict) -> tuple[Any, ProviderConfig] | None:
    from shared_apps.providers.selectors import providers_for
    from shared_apps.providers.services import provider_config, provider_plugin

    row = providers_for(country=current_country(), capability=capability.value).first()
    if row is not None:
        return provider_plugin(provider=row).connector(capability)(), provider_config(provider=row)
    if not conf.get("ENABLED"):
        return None
    plugin = get_plugin(conf["PLUGIN"])
    return plugin.connector(capability)(), ProviderConfig(
        base_url=conf["BASE_URL"], credentials=dict(conf.get("CREDENTIALS", {})),
        timeout_seconds=float(conf.get("TIMEOUT_SECONDS", 10.0)))


def mid_rate(*, base: str, quote: str) -> tuple[int, str]:
    """(rate_e9, source reference); 503 ``rate_unavailable`` when no source answers."""
    if base == quote:
        return RATE_SCALE, "par"
    found = _provider(Capability.FX_RATES, settings.REMITTANCE_RATE_SOURCE)
    if found is None:
        raise RateUnavailable()
    connector, config = found
    try:
        rate = connector.rate(config, base=base, quote=quote)
    except ProviderError as exc:
        logger.warning("rate source failed", extra={"code": exc.code, "pair": f"{base}{quote}"})
        raise RateUnavailable() from None
    return rate.rate_e9, rate.provider_reference[:80]


def screen_names(*, subjects: list[ScreeningSubject]) -> list[dict[str, str]]:
    """The screener's matches (empty: clear). Fails closed: 503 when the list cannot be consulted."""
    found = _provider(Capability.SANCTIONS, settings.REMITTANCE_SANCTIONS)
    if found is None:
        raise ScreeningUnavailable()
    connector, config = found
    try:
        result = connector.screen(config, subjects=subjects)
    except ProviderError as exc:
        logger.warning("sanctions screening failed", extra={"code": exc.code})
        raise ScreeningUnavailable() from None
    if set(result.checked) != {s.key for s in subjects}:
        raise ScreeningUnavailable()
    return [{"subject": m.subject, "entity_id": m.entity_id, "caption": m.caption, "score": m.score,
             "datasets": ",".join(m.datasets)} for m in result.matches]
