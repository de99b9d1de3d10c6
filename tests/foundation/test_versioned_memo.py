"""Per-process memos keyed by a cache version (shared_apps.core.cache_versions.VersionedMemo): rows are read once
per version, a bump anywhere makes the next read reload, nothing uncommitted is kept, tenants never share an
entry, and a Redis outage reads the rows every time."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection, transaction
from django_tenants.utils import schema_context

from shared_apps.core import cache_versions
from shared_apps.core.cache_versions import VersionedMemo, bump_cache_version
from tenants.connection import current_schema


class Loads:
    def __init__(self, value="rows"):
        self.count = 0
        self.value = value

    def __call__(self):
        self.count += 1
        return f"{self.value}-{self.count}"


def _bump_elsewhere(name: str) -> None:
    """What another process's committed change does: a new version in Redis."""
    cache_versions._bump(name, False, current_schema())


def test_rows_are_read_once_per_version(tenant_ng):
    memo, load = VersionedMemo[str]("memo-test"), Loads()
    with schema_context(tenant_ng.schema_name):
        assert memo.get("k", load) == "rows-1"
        assert memo.get("k", load) == "rows-1"
        assert load.count == 1
        _bump_elsewhere("memo-test")
        assert memo.get("k", load) == "rows-2"
        assert memo.get("k", load) == "rows-2"
        assert load.count == 2


def test_tenants_never_share_an_entry(tenant_ng, tenant_sn):
    memo = VersionedMemo[str]("memo-test")
    with schema_context(tenant_ng.schema_name):
        assert memo.get("k", Loads("ng")) == "ng-1"
    with schema_context(tenant_sn.schema_name):
        assert memo.get("k", Loads("sn")) == "sn-1"
    with schema_context(tenant_ng.schema_name):
        assert memo.get("k", Loads("other")) == "ng-1"


def test_rows_changed_in_the_open_transaction_are_not_kept(tenant_ng):
    """This connection bumped the version in a transaction that may still roll back: its reads are not memoised
    (another reader would otherwise see rows that never committed). A rolled-back savepoint takes it back."""
    memo, load = VersionedMemo[str]("memo-test"), Loads()
    with schema_context(tenant_ng.schema_name):
        assert connection.in_atomic_block  # the test's transaction
        with pytest.raises(RuntimeError), transaction.atomic():
            bump_cache_version("memo-test")
            memo.get("k", load)
            memo.get("k", load)
            assert load.count == 2
            raise RuntimeError("roll the savepoint back")
        memo.get("k", load)
        memo.get("k", load)
        assert load.count == 3


def test_a_redis_outage_reads_the_rows_every_time(tenant_ng):
    memo, load = VersionedMemo[str]("memo-test"), Loads()
    with schema_context(tenant_ng.schema_name), \
            mock.patch.object(cache_versions, "cache_version", side_effect=ConnectionError("redis down")):
        memo.get("k", load)
        memo.get("k", load)
    assert load.count == 2


def test_copies_keep_callers_apart(tenant_ng):
    memo = VersionedMemo("memo-test", copy=lambda value: list(value))
    with schema_context(tenant_ng.schema_name):
        first = memo.get("k", lambda: [1])
        first.append(2)
        assert memo.get("k", lambda: pytest.fail("reloaded")) == [1]


def test_a_price_rule_change_reaches_the_next_quote(tenant_ng):
    """The pricing memo: a rule saved (signal -> pricing version bump) changes the next load, in this process."""
    from tenant_apps.pricing.engine import load_tenant_pricing
    from tenant_apps.pricing.models import PriceRule

    with schema_context(tenant_ng.schema_name):
        before = load_tenant_pricing()
        rule = PriceRule.objects.create(product_type="airtime", mode="percent", value=123, priority=1)
        after = load_tenant_pricing()
        assert rule.pk in {r.id for r in after.rules} and rule.pk not in {r.id for r in before.rules}
        PriceRule.objects.filter(pk=rule.pk).delete()
        assert rule.pk not in {r.id for r in load_tenant_pricing().rules}


def test_a_disabled_provider_stops_selling_at_once(db, django_capture_on_commit_callbacks):
    from shared_apps.catalog.models import Product
    from shared_apps.catalog.selectors import sellable_product
    from shared_apps.providers.models import Provider, ProviderStatus

    with django_capture_on_commit_callbacks(execute=True):  # as if those rows had committed
        provider = Provider.objects.create(name="Memo test", country="NG", plugin_key="vtpass",
                                           base_url="http://127.0.0.1:9/")
        product = Product.objects.create(provider=provider, provider_product_code="memo", product_type="airtime",
                                         name="Memo airtime", country="NG", currency="NGN", min_amount_minor=100,
                                         max_amount_minor=100_000, cost_rate_bp=9_700)
    first = sellable_product(product_id=product.pk)
    assert first is not None and first.pk == product.pk
    mine = sellable_product(product_id=product.pk)  # a memo hit, a copy
    assert mine is not None and mine is not first and mine.provider is not first.provider
    assert (mine.pk, mine.name, mine.provider.pk, mine.provider.name) == (product.pk, "Memo airtime", provider.pk,
                                                                          "Memo test")
    assert (mine._state.db, mine._state.adding, mine._state is not first._state) == ("default", False, True)
    mine.name = "changed by a caller"
    mine.provider.status = ProviderStatus.DISABLED
    again = sellable_product(product_id=product.pk)
    assert again is not None and again.name == "Memo airtime"
    provider.status = ProviderStatus.DISABLED
    provider.save(update_fields=["status"])  # signal: the catalogue version moves
    assert sellable_product(product_id=product.pk) is None
