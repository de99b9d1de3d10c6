"""Lockout after repeated failed logins, counted in Redis per account and per client IP.

Keys go through Django's cache, whose key function prefixes the tenant schema:
a lockout on ng.localhost never affects sn.localhost. The account key is a hash
of the email, so the counter works the same whether or not the account exists
(the answer never reveals which).
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _conf() -> dict:
    return settings.LOGIN_LOCKOUT


def _account_key(email: str) -> str:
    return "lockout:acct:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _ip_key(ip: str | None) -> str:
    return f"lockout:ip:{ip or 'unknown'}"


def is_locked_out(*, email: str, ip: str | None) -> bool:
    locked = cache.get_many([_account_key(email) + ":locked", _ip_key(ip) + ":locked"])
    return bool(locked)


def _count(key: str, *, limit: int) -> bool:
    conf = _conf()
    cache.add(key, 0, timeout=conf["WINDOW_SECONDS"])
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=conf["WINDOW_SECONDS"])
        failures = 1
    if failures >= limit:
        cache.set(key + ":locked", 1, timeout=conf["LOCKOUT_SECONDS"])
        cache.delete(key)
        return True
    return False


def register_failure(*, email: str, ip: str | None) -> bool:
    """Count one failure; True when this failure locked the account or the IP."""
    conf = _conf()
    account_locked = _count(_account_key(email), limit=conf["MAX_FAILURES_PER_ACCOUNT"])
    ip_locked = _count(_ip_key(ip), limit=conf["MAX_FAILURES_PER_IP"])
    return account_locked or ip_locked


def register_success(*, email: str) -> None:
    cache.delete(_account_key(email))
