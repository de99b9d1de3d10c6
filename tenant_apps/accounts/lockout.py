"""Failed logins: per account a lockout, per client IP only a slowdown. Counted in Redis.

* **Per account** (``MAX_FAILURES_PER_ACCOUNT`` failures within ``WINDOW_SECONDS``): the account is
  locked for ``LOCKOUT_SECONDS``, whatever IP the next attempt comes from, the right password included.
  Each attempt is counted (an atomic ``INCR``) *before* its password is checked, and one past the budget is
  refused unchecked: guesses sent at once cannot all pass a check that only reads the lock, so at most
  ``MAX_FAILURES_PER_ACCOUNT`` passwords are tried per window, however many arrive together. A success
  forgets the count.
* **Per IP** (``MAX_FAILURES_PER_IP`` failures within the window): the IP is *slowed*, never locked.
  Past the free budget each attempt from that IP must wait ``IP_BACKOFF_BASE_SECONDS``, doubling with
  every further failure up to ``IP_BACKOFF_MAX_SECONDS``; one attempt at a time passes the gate (an
  atomic ``cache.add``), the others get ``429`` with ``Retry-After``. An office or a mobile carrier's
  NAT puts many honest people behind one address: they wait seconds, not the whole lockout, while
  a password sprayer behind the same address gets one guess per backoff.

Every login form uses this (API, portal, head-office console, Django admin: ``services.user_login``).

Codes sent by SMS to log in (per phone number) or to reset the transaction PIN (per user) are counted the same
way on their own counter, two codes' worth of tries per window (:func:`code_check`, :func:`code_success`): each
code takes ``PHONE_OTP['MAX_ATTEMPTS']`` tries, but a new one could be asked every resend cooldown for ever (10
guesses a minute, 14,400 a day); and at most ``PHONE_OTP['MAX_CODES_PER_DAY']`` of each are texted a day
(:func:`code_send_allowed`; step-up codes too, ``risk.stepup.code_send_claim``).
Keys go through Django's cache, whose key function prefixes the tenant schema: a lockout on
ng.localhost never affects sn.localhost. The account key is a hash of the email, so the counter works
the same whether or not the account exists (the answer never reveals which).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache


def _conf() -> dict:
    defaults = {"IP_BACKOFF_BASE_SECONDS": 2.0, "IP_BACKOFF_MAX_SECONDS": 60.0}
    return {**defaults, **settings.LOGIN_LOCKOUT}


def _account_key(email: str) -> str:
    return "lockout:acct:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]


def _ip_key(ip: str | None) -> str:
    return f"lockout:ip:{ip or 'unknown'}"


@dataclass(frozen=True)
class Refusal:
    reason: str  # "account" (locked) or "ip" (slowed)
    retry_after: int  # seconds


def _count(key: str, window: int | None = None) -> int:
    window = window or _conf()["WINDOW_SECONDS"]
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def _backoff(failures: int) -> float:
    conf = _conf()
    excess = failures - conf["MAX_FAILURES_PER_IP"]
    return min(conf["IP_BACKOFF_BASE_SECONDS"] * 2 ** max(excess, 0), conf["IP_BACKOFF_MAX_SECONDS"])


def check(*, email: str, ip: str | None) -> Refusal | None:
    """Before checking a password: a refusal (locked account, or an IP that must wait), else None.

    For a slowed IP this also claims the IP's one pass until the current backoff ends. An attempt let through
    is counted on the account now, before its password is checked (:func:`_claim_account`).
    """
    account_key = _account_key(email)
    locked = _locked_refusal(account_key)
    if locked is not None:
        return locked
    ip_key = _ip_key(ip)
    failures = cache.get(ip_key) or 0
    slowed = failures >= _conf()["MAX_FAILURES_PER_IP"]
    if slowed:
        waiting_until = cache.get(ip_key + ":wait")
        now = time.time()
        if waiting_until and float(waiting_until) > now:
            return Refusal("ip", max(1, math.ceil(float(waiting_until) - now)))
        backoff = _backoff(failures)
        if not cache.add(ip_key + ":pass", 1, timeout=max(1, math.ceil(backoff))):
            return Refusal("ip", max(1, math.ceil(backoff)))  # another attempt from this IP is being checked
    refusal = _claim_account(account_key)
    if refusal is not None and slowed:
        cache.delete(ip_key + ":pass")  # no password was checked: the IP's turn is not used up
    return refusal


def _locked_refusal(account_key: str) -> Refusal | None:
    locked_until = cache.get(account_key + ":locked")
    if locked_until:
        return Refusal("account", max(1, math.ceil(float(locked_until) - time.time())))
    return None


def _claim_account(account_key: str, limit: int | None = None) -> Refusal | None:
    """Count this attempt on the account (atomically, before its password is checked); past the budget, lock.

    Attempts checked at the same time each get their own number, so no more than the budget reach a password
    check whatever the concurrency (reading the lock flag alone let them all through)."""
    conf = _conf()
    if _count(account_key) <= (limit or conf["MAX_FAILURES_PER_ACCOUNT"]):
        return None
    _lock(account_key)
    return _locked_refusal(account_key) or Refusal("account", conf["LOCKOUT_SECONDS"])


def _lock(account_key: str) -> None:
    """Lock the account for ``LOCKOUT_SECONDS``; its count lives exactly as long (not deleted, not longer).

    Deleting the count would let a guess that passed the lock check a moment before start a fresh budget;
    the count is made to expire before the lock flag (touched first), so once the lock ends both are gone and
    the next attempt starts at one instead of locking the account again."""
    seconds = _conf()["LOCKOUT_SECONDS"]
    if cache.get(account_key + ":locked"):
        return  # locked already (a concurrent attempt): neither the lock nor the count is extended
    cache.touch(account_key, timeout=seconds)
    cache.set(account_key + ":locked", time.time() + seconds, timeout=seconds)


def register_failure(*, email: str, ip: str | None) -> bool:
    """A wrong password (already counted by :func:`check`); True when the account is locked by it (the IP is
    only ever slowed)."""
    conf = _conf()
    account_key = _account_key(email)
    locked = False
    if (cache.get(account_key) or 0) >= conf["MAX_FAILURES_PER_ACCOUNT"]:
        _lock(account_key)
        locked = True
    ip_key = _ip_key(ip)
    failures = _count(ip_key)
    if failures >= conf["MAX_FAILURES_PER_IP"]:
        backoff = _backoff(failures)
        cache.set(ip_key + ":wait", time.time() + backoff, timeout=max(1, math.ceil(backoff)))
    cache.delete(ip_key + ":pass")
    return locked


def register_success(*, email: str, ip: str | None = None) -> None:
    """The account's count is forgotten (this attempt's included); the IP's is not (one good account must not
    reset a sprayer)."""
    cache.delete(_account_key(email))
    cache.delete(_ip_key(ip) + ":pass")


# --- codes sent by SMS (login, PIN reset) -------------------------------------------------------------

def _code_key(subject: str) -> str:
    return "lockout:code:" + hashlib.sha256(subject.encode()).hexdigest()[:32]


def code_budget() -> int:
    """Codes checked per ``subject`` and ``WINDOW_SECONDS``: two codes' worth of tries (someone who used up one code
    by mistyping it still gets in with the next one)."""
    return 2 * int(settings.PHONE_OTP["MAX_ATTEMPTS"])


def code_check(*, subject: str) -> Refusal | None:
    """Before a code of ``subject`` (``login:<phone>``, ``reset_pin:<user>``) is checked: counted (atomically)
    before the check like a password, past :func:`code_budget` in the window ``subject`` is locked for
    ``LOCKOUT_SECONDS``, the right code included."""
    key = _code_key(subject)
    return _locked_refusal(key) or _claim_account(key, limit=code_budget())


def code_success(*, subject: str) -> None:
    """A right code: the count of ``subject`` is forgotten."""
    cache.delete(_code_key(subject))


def code_send_allowed(*, subject: str) -> bool:
    """Count one more code texted for ``subject`` in its 24 hours; False past ``PHONE_OTP['MAX_CODES_PER_DAY']``."""
    key = "otp:codes-today:" + hashlib.sha256(subject.encode()).hexdigest()[:32]
    return _count(key, window=24 * 3600) <= int(settings.PHONE_OTP["MAX_CODES_PER_DAY"])
