"""currency_for_country reads the adapter's defaults, not the deployment's effective copy (issue 18: the overrides
were looked up on every purchase body's validation): an override never changes a country's currency."""

from __future__ import annotations

import pytest

from countries.registry import all_adapters, default_adapter, get_adapter
from countries.services import country_override_set
from tenant_apps.ledger.currency import currency_for_country

EVERY_OVERRIDE = {"enabled": False, "vat_rate_bps": 1234, "gateways": [], "default_language": "fr",
                  "tier_limits": {"0": {"single_limit_minor": 1, "daily_limit_minor": 2, "max_balance_minor": 3}}}


@pytest.mark.django_db  # all_adapters() reads the deployment's overrides (from Redis only if a copy is there)
def test_no_override_changes_a_currency():
    for adapter in all_adapters():
        assert adapter.with_overrides(EVERY_OVERRIDE).currency_info == default_adapter(adapter.code).currency_info


@pytest.mark.django_db
def test_the_currency_is_the_effective_adapters(monkeypatch):
    country_override_set(country="GH", vat_rate_bps=900, enabled=False, gateways=["paystack"])
    for code in ("GH", "NG", "SN"):
        assert currency_for_country(code) == get_adapter(code).currency_info
    import countries.registry

    monkeypatch.setattr(countries.registry, "effective_overrides",
                        lambda: pytest.fail("the overrides are not needed for a currency"))
    assert currency_for_country("GH").code == "GHS" and currency_for_country("SN").code == "XOF"
