"""The agent's hourly cap of wrong withdrawal codes counts every wrong code, also two sent at once.

Reported: the count was read with ``cache.get`` before the code was checked and raised afterwards with
``incr``, falling back to ``set(1)`` when the hour's key did not exist yet: two first wrong codes at once both
found no key and both wrote 1 (one lost), and any number of codes sent together all passed the read. Reproduced
deterministically: the second wrong code runs, start to end, right after the first one touched the counter.
"""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from shared_apps.core.errors import ApiError
from tests.cash.helpers import new_agent, new_user

pytestmark = pytest.mark.django_db


class _RacingCache:
    """The services' cache, except that the first ``incr`` lets a second wrong code run before it answers."""

    def __init__(self, real, other_attempt) -> None:
        self._real, self._other_attempt, self._raced = real, other_attempt, False

    def incr(self, *args, **kwargs):
        try:
            return self._real.incr(*args, **kwargs)
        finally:
            if not self._raced:
                self._raced = True
                self._other_attempt()

    def __getattr__(self, name):
        return getattr(self._real, name)


def test_two_wrong_codes_at_once_count_two(monkeypatch, settings):
    from tenant_apps.cash import services
    from tenant_apps.cash.services import InvalidWithdrawalCode

    settings.AGENT_CASH = {**settings.AGENT_CASH, "AGENT_CODE_FAILURES_PER_HOUR": 2, "SMS_NOTIFICATIONS": False}
    agent, _ = new_agent()
    customer = new_user()
    real_cache = services.cache

    def wrong_code() -> None:
        with pytest.raises(InvalidWithdrawalCode):
            services.cash_out_check(agent=agent, customer_phone=customer.phone, code="99999999", amount_minor=1_000)

    with schema_context("ng"):
        real_cache.delete(services._failures_key(agent))
        monkeypatch.setattr(services, "cache", _RacingCache(real_cache, wrong_code))
        wrong_code()
        monkeypatch.setattr(services, "cache", real_cache)
        assert real_cache.get(services._failures_key(agent)) == 2
        with pytest.raises(ApiError) as refused:  # the cap (2) is reached: the third is refused unchecked
            services.cash_out_check(agent=agent, customer_phone=customer.phone, code="99999999", amount_minor=1_000)
        assert (refused.value.status_code, refused.value.code) == (429, "too_many_attempts")
        real_cache.delete(services._failures_key(agent))


def test_a_right_code_gives_its_reserved_attempt_back(settings):
    """Only wrong codes count: the right one's reservation is given back (so it never fills the hour's cap)."""
    from tenant_apps.cash import services
    from tenant_apps.cash.services import InvalidWithdrawalCode
    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tests.cash.helpers import post

    settings.AGENT_CASH = {**settings.AGENT_CASH, "AGENT_CODE_FAILURES_PER_HOUR": 2, "SMS_NOTIFICATIONS": False}
    agent, _ = new_agent()
    customer = new_user()
    with schema_context("ng"):
        fund_wallet(wallet=wallet_for(user=customer), amount=100_000, reference=f"t:{customer.pk}")
    code = post(customer, "/api/cash/withdrawal-codes", {"amount": "10"}).json()["code"]
    with schema_context("ng"):
        key = services._failures_key(agent)
        services.cache.delete(key)
        with pytest.raises(InvalidWithdrawalCode):
            services.cash_out_check(agent=agent, customer_phone=customer.phone, code="99999999", amount_minor=1_000)
        for _ in range(3):
            assert services.cash_out_check(agent=agent, customer_phone=customer.phone, code=code,
                                           amount_minor=1_000)
        assert services.cache.get(key) == 1
        services.cache.delete(key)
