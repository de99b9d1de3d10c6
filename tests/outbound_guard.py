"""No outbound HTTP inside an open money transaction (issue 20).

``no_http_in_transaction()`` wraps ``requests.Session.send`` (``ObservedSession`` and every connector's
session go through it) and records each call made from this thread while the database connection is
deeper in ``atomic`` blocks than when the guard started: under pytest-django's ``db`` the test's own
transaction is the baseline, under ``live_db`` none. A provider that hangs there would hold the
idempotency advisory lock, the buyer's row and a connection for its whole timeout.

The dispatcher's provider calls (``tenant_apps.orders.dispatch``) go through its async transport, from an
event loop started by ``dispatch.batch.run_coroutine``: the guard records those calls too, judged by the
transaction depth of the thread that started the loop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from unittest import mock

import requests
from django.db import connection


@dataclass
class OutboundLog:
    calls: list[str] = field(default_factory=list)
    inside_transaction: list[str] = field(default_factory=list)


@contextlib.contextmanager
def no_http_in_transaction() -> Iterator[OutboundLog]:
    log = OutboundLog()
    baseline = len(connection.atomic_blocks)
    original = requests.Session.send

    def send(session, request, **kwargs):
        where = f"{request.method} {request.url}"
        log.calls.append(where)
        if len(connection.atomic_blocks) > baseline:
            log.inside_transaction.append(where)
        return original(session, request, **kwargs)

    from tenant_apps.orders.dispatch import batch, transport

    loop_depth: list[int] = []
    original_run, original_transport_send = batch.run_coroutine, transport.ProviderTransport.send

    def run_coroutine(coroutine):
        loop_depth.append(len(connection.atomic_blocks))
        try:
            return original_run(coroutine)
        finally:
            loop_depth.pop()

    async def transport_send(self, *, method, url, **kwargs):
        where = f"{method} {url}"
        log.calls.append(where)
        if loop_depth and loop_depth[-1] > baseline:
            log.inside_transaction.append(where)
        return await original_transport_send(self, method=method, url=url, **kwargs)

    with mock.patch.object(requests.Session, "send", send), mock.patch.object(batch, "run_coroutine", run_coroutine), \
            mock.patch.object(transport.ProviderTransport, "send", transport_send):
        yield log
    assert not log.inside_transaction, "outbound HTTP inside an open transaction:\n" + "\n".join(
        log.inside_transaction)
