"""USSD helpers: committed customers with a PIN, phone numbers, a phone on the gateway simulator, every log line
of a block, what the test Redis holds."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from django_tenants.utils import schema_context

from provider_plugins.africastalking_ussd.simulator import UssdPhone

CODES = {"ng": "*384*123#", "sn": "*384*221#"}
PIN = "4071"


def customer(schema: str = "ng", *, phone: str, balance_minor: int = 0, pin: str | None = PIN,
             verified: bool = True, language: str = ""):
    """A committed customer of ``schema`` (call under ``live_db``), with a funded wallet and a PIN."""
    from tenant_apps.accounts.models import User
    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tenant_apps.pins.services import pin_set

    with schema_context(schema):
        user = User.objects.create_user(email=f"ussd-{uuid.uuid4().hex[:12]}@example.test", role="customer",
                                        phone=phone, preferred_language=language,
                                        phone_verified_at=timezone.now() if verified else None)
        if balance_minor:
            fund_wallet(wallet=wallet_for(user=user), amount=balance_minor, reference=f"fund-{uuid.uuid4().hex}")
        if pin:
            pin_set(user=user, pin=pin)
    return user


def ng_phone() -> str:
    """A fresh MTN Nigeria number (0803...)."""
    return f"+234803{uuid.uuid4().int % 10**7:07d}"


def phone_of(gateway, user) -> UssdPhone:
    return UssdPhone(gateway.url, phone=user.phone)


@contextlib.contextmanager
def every_log_line() -> Iterator[list[str]]:
    """Every log record of every logger at DEBUG while the block runs (the web server's thread included), rendered
    with its arguments, exception and ``extra`` fields (tests.support.logs, as tests/security/test_log_scan.py)."""
    from tests.support.logs import Everything, every_logger_at_debug

    handler = Everything()
    with every_logger_at_debug(handler):
        yield handler.lines


def redis_holding(text: str) -> list[str]:
    """The keys of the test Redis database (cache, sessions, answers, the Celery broker) whose value holds ``text``."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    needle, found = text.encode(), []
    for key in client.scan_iter(count=1000):
        kind = client.type(key)
        values: list[Any] = []
        if kind == b"string":
            values = [client.get(key) or b""]
        elif kind == b"list":
            values = list(client.lrange(key, 0, -1))
        elif kind == b"hash":
            values = [*client.hkeys(key), *client.hvals(key)]
        elif kind == b"set":
            values = list(client.smembers(key))
        elif kind == b"zset":
            values = list(client.zrange(key, 0, -1))
        if needle in key or any(needle in value for value in values if isinstance(value, bytes)):
            found.append(key.decode(errors="replace"))
    return found
