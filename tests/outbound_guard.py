"""No outbound HTTP inside an open money transaction (issue 20).

``no_http_in_transaction()`` wraps ``requests.Session.send`` (``ObservedSession`` and every connector's
session go through it) and records each call made from this thread while the database connection is
deeper in ``atomic`` blocks than when the guard started: under pytest-django's ``db`` the test's own
transaction is the baseline, under ``live_db`` none. A provider that hangs there would hold the
idempotency advisory lock, the buyer's row and a connection for its whole timeout.
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

    with mock.patch.object(requests.Session, "send", send):
        yield log
    assert not log.inside_transaction, "outbound HTTP inside an open transaction:\n" + "\n".join(
        log.inside_transaction)
