"""Per-deployment overrides in the public schema: the adapter is the default, the row wins."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django_tenants.utils import schema_context

from countries.errors import UnknownCountry
from countries.models import CountryOverride
from countries.registry import all_adapters, default_adapter, enabled_adapters, get_adapter
from countries.services import country_override_clear, country_override_set

pytestmark = pytest.mark.django_db


def test_without_override_the_adapter_defaults_apply():
    adapter = get_adapter("ng")
    assert adapter.enabled and adapter.vat_rate_bps == 750
    assert [a.code for a in enabled_adapters()] == sorted(a.code for a in all_adapters())
    assert len(all_adapters()) == 16


def test_vat_and_gateways_override_without_touching_the_defaults():
    country_override_set(country="NG", vat_rate_bps=800, gateways=["flutterwave"])
    assert get_adapter("NG").vat_rate_bps == 800
    assert get_adapter("NG").gateways == ["flutterwave"]
    assert default_adapter("NG").vat_rate_bps == 750
    assert default_adapter("NG").gateways == ["paystack", "flutterwave", "airtel_money", "mtn_momo", "onepipe"]
    assert [rail.key for rail in get_adapter("NG").active_rails if rail.kind != "agent"] == ["flutterwave"]
    country_override_set(country="NG", vat_rate_bps=None)  # back to the default VAT, gateways kept
    assert get_adapter("NG").vat_rate_bps == 750
    assert get_adapter("NG").gateways == ["flutterwave"]


def test_tier_limits_override():
    country_override_set(country="GH", tier_limits={1: {"single_limit_minor": 400_000, "daily_limit_minor": 900_000}})
    tiers = get_adapter("GH").kyc_tiers
    assert (tiers[1].single_limit_minor, tiers[1].daily_limit_minor) == (400_000, 900_000)
    assert tiers[1].max_balance_minor == default_adapter("GH").kyc_tiers[1].max_balance_minor
    assert tiers[0] == default_adapter("GH").kyc_tiers[0]
    assert default_adapter("GH").kyc_tiers[1].single_limit_minor == 300_000


def test_disabling_a_country(host_client):
    country_override_set(country="TG", enabled=False)
    assert "TG" not in {a.code for a in enabled_adapters()}
    assert get_adapter("TG").enabled is False  # still resolvable: existing data may refer to it
    listing = host_client("localhost").get("/api/countries").json()["results"]
    assert "TG" not in {c["code"] for c in listing} and len(listing) == 15
    response = host_client("ng.localhost").get("/api/countries/TG")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "country_not_enabled"
    country_override_set(country="TG", enabled=True)
    assert host_client("ng.localhost").get("/api/countries/TG").status_code == 200


def test_override_is_visible_on_tenant_domains(host_client):
    country_override_set(country="SN", vat_rate_bps=1900, tier_limits={"0": {"single_limit_minor": 25_000}})
    body = host_client("sn.localhost").get("/api/countries/SN").json()
    assert body["vat_rate_bps"] == 1900
    assert body["kyc_tiers"][0]["single_limit_minor"] == 25_000
    assert body["kyc_tiers"][0]["single_limit"] == "25000"


def test_effective_config_is_cached_and_invalidated_on_save(django_assert_num_queries,
                                                            django_capture_on_commit_callbacks):
    get_adapter("NG")  # warm the cache
    with django_assert_num_queries(0):
        for code in ("NG", "GH", "SN"):
            get_adapter(code)
        enabled_adapters()
    with django_capture_on_commit_callbacks(execute=True):  # committed (the test's transaction stands for it)
        row = country_override_set(country="NG", vat_rate_bps=900)
    assert get_adapter("NG").vat_rate_bps == 900  # the save dropped the cache; this refills it
    # A bulk update bypasses save(): the cache still answers (proof that it is used)...
    CountryOverride.objects.filter(pk=row.pk).update(vat_rate_bps=1000)
    assert get_adapter("NG").vat_rate_bps == 900
    # ...and a save() invalidates it.
    row.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        row.save()
    assert get_adapter("NG").vat_rate_bps == 1000
    with django_capture_on_commit_callbacks(execute=True):
        row.delete()
    assert get_adapter("NG").vat_rate_bps == 750


def test_the_cache_is_shared_by_every_schema():
    with schema_context("ng"):
        assert get_adapter("GH").vat_rate_bps == 1500  # cached while in the ng schema
    country_override_set(country="GH", vat_rate_bps=1250)  # saved from public
    with schema_context("ng"):
        assert get_adapter("GH").vat_rate_bps == 1250
    with schema_context("sn"):
        assert get_adapter("GH").vat_rate_bps == 1250


def test_clear_goes_back_to_defaults():
    country_override_set(country="ML", enabled=False, vat_rate_bps=1000)
    country_override_clear(country="ML")
    assert get_adapter("ML").enabled and get_adapter("ML").vat_rate_bps == 1800
    assert not CountryOverride.objects.filter(country="ML").exists()


@pytest.mark.parametrize("changes", [
    {"tier_limits": {"9": {"single_limit_minor": 1}}},
    {"tier_limits": {"1": {"single_limit_minor": -5}}},
    {"tier_limits": {"1": {"single_limit_minor": 10.5}}},
    {"tier_limits": {"1": {"weekly_limit_minor": 10}}},
    {"tier_limits": [1, 2]},
    {"tier_limits": {"1": 5}},
    {"gateways": "paystack"},
    {"default_language": "de"},
    {"vat_rate_bps": 10_001},
])
def test_bad_overrides_are_refused_and_nothing_is_written(changes):
    with pytest.raises(ValidationError):
        country_override_set(country="NG", **changes)
    assert not CountryOverride.objects.filter(country="NG").exists()
    assert get_adapter("NG").vat_rate_bps == 750


def test_unknown_country_cannot_be_overridden():
    with pytest.raises(UnknownCountry):
        country_override_set(country="FR", enabled=False)


def test_default_language_override():
    country_override_set(country="MR", default_language="en")
    assert get_adapter("MR").default_language == "en"
    assert get_adapter("MR").format_amount(150_000) == "UM 1,500.00"


def test_a_redis_outage_falls_back_to_the_database(monkeypatch):
    from countries import overrides

    country_override_set(country="NG", vat_rate_bps=820)

    class Broken:
        def get(self, *args, **kwargs):
            raise ConnectionError("redis down")

        set = delete = get

    monkeypatch.setattr(overrides, "override_cache", lambda: Broken())
    assert get_adapter("NG").vat_rate_bps == 820
    country_override_set(country="NG", vat_rate_bps=830)  # invalidation failure is logged, not raised
    assert get_adapter("NG").vat_rate_bps == 830


def test_the_override_cache_follows_a_change_of_caches():
    """``override_cache`` is made once per process, but again after ``CACHES`` changes (a test's private Redis):
    never the first server seen for the rest of the process."""
    from django.conf import settings
    from django.test import override_settings

    from countries.overrides import override_cache

    real = override_cache()._servers  # type: ignore[attr-defined]
    private = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=private):
        assert override_cache()._servers == ["redis://127.0.0.1:1/0"]  # type: ignore[attr-defined]
    assert override_cache()._servers == real  # type: ignore[attr-defined]


def test_a_reader_of_the_old_rows_does_not_cache_them_past_the_change(monkeypatch, django_capture_on_commit_callbacks):
    """A reader loads the rows, the change commits (its on-commit invalidation runs), then the reader stores
    its copy: that copy is under the version it read before the rows, so the next read loads the new rows
    (under one fixed key it was served to every process for CACHE_SECONDS)."""
    from countries import overrides

    real_load = overrides.load_overrides
    raced: list[bool] = []

    def racing_load() -> dict[str, dict]:
        rows = real_load()  # the old rows
        if not raced:
            raced.append(True)
            with django_capture_on_commit_callbacks(execute=True):
                country_override_set(country="NG", vat_rate_bps=900)  # commits: invalidated now and on commit
        return rows

    overrides._process_copy.clear()
    monkeypatch.setattr(overrides, "load_overrides", racing_load)
    assert get_adapter("NG").vat_rate_bps == 750  # read before the change: right at the time
    assert raced
    assert get_adapter("NG").vat_rate_bps == 900
    with schema_context("sn"):
        assert get_adapter("NG").vat_rate_bps == 900


class _RolledBack(Exception):
    pass


def test_a_change_rolled_back_is_not_served_from_the_shared_copy():
    """A change read back inside its own transaction, then rolled back: before, that read stored the
    uncommitted rows in Redis under the change's new version, and every process served them for
    CACHE_SECONDS (a VAT rate or a disabled country that never committed)."""
    from countries import overrides

    assert get_adapter("NG").vat_rate_bps == 750
    with pytest.raises(_RolledBack), transaction.atomic():
        country_override_set(country="NG", vat_rate_bps=900)
        assert get_adapter("NG").vat_rate_bps == 900  # its own write, read inside its transaction
        raise _RolledBack
    overrides._process_copy.clear()  # what another process holds: nothing of its own
    assert get_adapter("NG").vat_rate_bps == 750
    with schema_context("sn"):
        assert get_adapter("NG").vat_rate_bps == 750
