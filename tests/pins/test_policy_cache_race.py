"""A reader that read the PIN policy before an update committed never leaves its old copy behind.

Reported: the threshold was cached in Redis under one key, deleted by the update (in its transaction and on
commit). A reader that missed the cache, read the old row, and wrote its copy after the on-commit delete kept
the old threshold for every process for POLICY_CACHE_SECONDS (5 minutes): e.g. the PIN still off after the
admin turned it on. Reproduced deterministically (real commits): the update runs and commits while the reader's
read of the row is answering.
"""

from __future__ import annotations

from django_tenants.utils import schema_context


class _RacingManager:
    """``PinPolicy.objects``, except that the first read of the policy lets ``meanwhile`` run (and commit)
    between reading the row and answering."""

    def __init__(self, real, meanwhile) -> None:
        self._real, self._meanwhile, self._raced = real, meanwhile, False

    def filter(self, *args, **kwargs):
        query = self._real.filter(*args, **kwargs)
        if self._raced or kwargs != {"singleton": True}:
            return query
        self._raced = True
        return _RacingQuery(query, self._meanwhile)

    def __getattr__(self, name):
        return getattr(self._real, name)


class _RacingQuery:
    def __init__(self, query, meanwhile) -> None:
        self._query, self._meanwhile = query, meanwhile

    def values_list(self, *args, **kwargs):
        return _RacingQuery(self._query.values_list(*args, **kwargs), self._meanwhile)

    def first(self):
        value = self._query.first()  # the old row
        self._meanwhile()  # the admin's update commits (and its on-commit invalidation runs)
        return value


def test_a_reader_of_the_old_policy_does_not_cache_it_past_the_update(live_db, monkeypatch):
    from tenant_apps.pins import services
    from tenant_apps.pins.models import PinPolicy
    from tenant_apps.pins.services import pin_policy_update, web_api_threshold_minor

    with schema_context("ng"):
        previous = PinPolicy.objects.filter(singleton=True).values_list("web_api_threshold_minor", flat=True).first()
        old, new = 1_111, 2_222
        pin_policy_update(actor=None, web_api_threshold_minor=old)
        try:
            real = PinPolicy.objects
            monkeypatch.setattr(services.PinPolicy, "objects", _RacingManager(
                real, lambda: pin_policy_update(actor=None, web_api_threshold_minor=new)))
            assert web_api_threshold_minor() == old  # read before the update committed: right at the time
            monkeypatch.setattr(services.PinPolicy, "objects", real)
            assert web_api_threshold_minor() == new  # the next reader, in any process: the new threshold
            assert web_api_threshold_minor() == new
        finally:
            monkeypatch.undo()
            pin_policy_update(actor=None, web_api_threshold_minor=previous)
