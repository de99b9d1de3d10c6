"""Writes: per-deployment country overrides (validated, cache invalidated on save)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from .models import CountryOverride
from .registry import default_adapter

_UNSET: Any = object()


@transaction.atomic
def country_override_set(*, country: str, enabled: bool | None = None, vat_rate_bps: int | None = _UNSET,
                         tier_limits: dict | None = None, gateways: list[str] | None = _UNSET,
                         default_language: str | None = None, note: str = "") -> CountryOverride:
    """Create or update a country's override; fields left out keep their current value.

    Pass ``vat_rate_bps=None`` / ``gateways=None`` to go back to the adapter default.
    Raises django ValidationError on bad input, UnknownCountry for an unknown code.
    """
    code = default_adapter(country).code
    row = CountryOverride.objects.select_for_update().filter(country=code).first() or CountryOverride(country=code)
    if enabled is not None:
        row.enabled = enabled
    if vat_rate_bps is not _UNSET:
        row.vat_rate_bps = vat_rate_bps
    if tier_limits is not None:
        row.tier_limits = ({str(level): limits for level, limits in tier_limits.items()}
                           if isinstance(tier_limits, dict) else tier_limits)  # clean() refuses a non-dict
    if gateways is not _UNSET:
        row.gateways = list(gateways) if isinstance(gateways, list | tuple) else gateways
    if default_language is not None:
        row.default_language = default_language
    if note:
        row.note = note
    row.full_clean()
    row.save()
    return row


def country_override_clear(*, country: str) -> None:
    """Back to the adapter's defaults."""
    for row in CountryOverride.objects.filter(country=default_adapter(country).code):
        row.delete()
