"""The cache's per-request snapshot and reused client (shared_apps.core.redis_cache), the per-process copies
that read their versions through it, and who sees a change made elsewhere ("another process" below is a
separate Redis client writing the keys, as another server's bump does)."""

from __future__ import annotations

import pickle

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django_tenants.utils import schema_context

from shared_apps.core import redis_cache
from shared_apps.core.cache_versions import PREFIX, VersionedMemo, bump_cache_version, cache_version


def _other_process() -> redis.Redis:
    return redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])


def _raw(schema: str, key: str) -> str:
    return f"{schema}:{cache.key_prefix}:{cache.version}:{key}"


@pytest.fixture
def request_scope():
    """What RequestSnapshotMiddleware does around one request."""
    token = redis_cache._snapshot.set(redis_cache._Snapshot())
    yield
    redis_cache._snapshot.reset(token)


def test_the_redis_client_object_is_reused():
    client = cache._cache  # type: ignore[attr-defined]  # Django's RedisCache keeps its client there
    assert client.get_client() is client.get_client()
    assert client.get_client(write=True) is client.get_client(write=True)


def test_hot_keys_come_in_one_mget_and_stay_for_the_request(tenant_ng, request_scope, monkeypatch):
    redis_cache.snapshot_keys("test-hot:a", "test-hot:absent")
    redis_cache.snapshot_keys("test-hot:shared", shared=True)
    with schema_context("ng"):
        cache.set("test-hot:a", "one")
    with schema_context("public"):
        cache.set("test-hot:shared", "everyone")
    other = _other_process()
    sent = []
    original = redis.Redis.execute_command

    def counting(self, *args, **kwargs):
        if self is not other:
            sent.append(args[0])
        return original(self, *args, **kwargs)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)
    with schema_context("ng"):
        assert cache.get("test-hot:a") == "one"
        other.set(_raw("ng", "test-hot:a"), pickle.dumps("two"))  # changed elsewhere meanwhile
        assert cache.get("test-hot:a") == "one"  # this request keeps what it read
        assert cache.get("test-hot:absent") is None  # known absent: no command
    with schema_context("public"):
        assert cache.get("test-hot:shared") == "everyone"  # came with the first MGET
    assert sent == ["MGET"]
    # A new request sees the other process's value.
    token = redis_cache._snapshot.set(redis_cache._Snapshot())
    try:
        with schema_context("ng"):
            assert cache.get("test-hot:a") == "two"
    finally:
        redis_cache._snapshot.reset(token)


def test_a_request_sees_its_own_writes(tenant_ng, request_scope):
    redis_cache.snapshot_keys("test-hot:own")
    with schema_context("ng"):
        cache.set("test-hot:own", 1)
        assert cache.get("test-hot:own") == 1
        cache.set("test-hot:own", 2)
        assert cache.get("test-hot:own") == 2
        cache.delete("test-hot:own")
        assert cache.get("test-hot:own") is None
        assert cache.add("test-hot:own", 3)
        assert cache.get("test-hot:own") == 3
        cache.incr("test-hot:own")
        assert cache.get("test-hot:own") == 4


def test_keys_not_registered_are_never_kept(tenant_ng, request_scope):
    with schema_context("ng"):
        cache.set("test-cold:counter", 1)
        assert cache.get("test-cold:counter") == 1
        _other_process().set(_raw("ng", "test-cold:counter"), pickle.dumps(5))
        assert cache.get("test-cold:counter") == 5  # throttles, lockouts: always the live value


def test_outside_a_request_nothing_is_kept(tenant_ng):
    redis_cache.snapshot_keys("test-hot:b")
    with schema_context("ng"):
        cache.set("test-hot:b", "x")
        assert cache.get("test-hot:b") == "x"
        _other_process().set(_raw("ng", "test-hot:b"), pickle.dumps("y"))
        assert cache.get("test-hot:b") == "y"


def test_a_version_bumped_by_another_process_reloads_the_memo_at_the_next_request(tenant_ng):
    memo: VersionedMemo[int] = VersionedMemo("test-snapshot-memo")
    loads = []

    def load() -> int:
        loads.append(1)
        return len(loads)

    with schema_context("ng"):
        for _ in range(2):  # two requests, nothing changed: read once
            token = redis_cache._snapshot.set(redis_cache._Snapshot())
            try:
                assert memo.get("k", load) == 1
            finally:
                redis_cache._snapshot.reset(token)
        _other_process().set(_raw("ng", PREFIX + "test-snapshot-memo"), pickle.dumps("elsewhere"))
        token = redis_cache._snapshot.set(redis_cache._Snapshot())
        try:
            assert memo.get("k", load) == 2  # the other process's bump is seen
            bump_cache_version("test-snapshot-memo")  # and this request's own bump at once
            assert memo.get("k", load) == 3
        finally:
            redis_cache._snapshot.reset(token)


def test_country_overrides_follow_a_change_made_in_another_process(live_db):
    """Each process keeps its copy of the overrides under a version; the change bumps it for all."""
    from countries import overrides
    from countries.models import CountryOverride
    from countries.registry import get_adapter

    default_vat = get_adapter("NG").vat_rate_bps
    assert connection.in_atomic_block is False
    version_before = _other_process().get(_raw("public", overrides.VERSION_KEY))
    get_adapter("NG")
    assert "all" in overrides._process_copy  # kept by this process
    try:
        # Another process writes the row and bumps the version (what its post_save does), this one not told.
        row = CountryOverride(country="NG", vat_rate_bps=777)
        CountryOverride.objects.bulk_create([row])  # no signal here: this process learns nothing directly
        other = _other_process()
        other.set(_raw("public", overrides.VERSION_KEY), pickle.dumps("changed-elsewhere"))
        assert get_adapter("NG").vat_rate_bps == 777
    finally:
        CountryOverride.objects.filter(country="NG").delete()  # post_delete: bumps the version (this process)
    assert _other_process().get(_raw("public", overrides.VERSION_KEY)) not in (version_before, None)
    assert get_adapter("NG").vat_rate_bps == default_vat


def test_a_shared_version_is_read_in_the_public_schema(tenant_ng, request_scope):
    with schema_context("ng"):
        version = cache_version("test-shared-version", shared=True)
    with schema_context("public"):
        assert cache.get(PREFIX + "test-shared-version") == version


def test_snapshot_keys_are_the_keys_make_key_makes(tenant_ng, request_scope, monkeypatch):
    """The snapshot makes a hot key from the schema it read once (issue 18): the key ``make_key`` makes, for the
    default cache (django-tenants' key function) and for a handle with its own (the countries' public keys)."""
    from countries.overrides import override_cache

    redis_cache.snapshot_keys("test-made:own")
    public = override_cache()
    asked: list[list[str]] = []
    for store in (cache, public):
        client = store._cache  # type: ignore[attr-defined]  # Django's RedisCache client

        def noted(keys, original=client.get_many):
            asked.append(list(keys))
            return original(keys)

        monkeypatch.setattr(client, "get_many", noted)
    with schema_context("ng"):
        assert cache.get("test-made:own") is None
        assert asked[-1][0] == cache.make_key("test-made:own") == _raw("ng", "test-made:own")
        assert public.get("test-made:own") is None  # another handle: its own snapshot entries
        assert asked[-1][0] == public.make_key("test-made:own") == "public:" + _raw("ng", "test-made:own")[3:]
    with schema_context("public"):
        assert cache.get("test-made:own") is None
        assert asked[-1][0] == _raw("public", "test-made:own")
