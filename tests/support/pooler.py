"""pytest plugin: ``--pgbouncer`` runs the session through PgBouncer in transaction mode.

Before Django reads its settings, a PgBouncer (``pool_mode = transaction``, a
few server connections shared by every client) is started in front of
``DATABASE_URL``; ``DATABASE_URL`` is pointed at it and ``DATABASE_POOL_MODE``
set to ``transaction``, so this process, its Celery workers and its servers all
go through the pooler. ``NEXUSTOP_DIRECT_DATABASE_URL`` keeps the server's own
address. ``make test`` / ``.ci/run`` use it for the isolation suite and the
purchase flow (``nexustop_dev.testrun``); ``NEXUSTOP_TEST_PGBOUNCER=1`` does the same.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest

from tests.support.pgbouncer import INSTALL_HINT, PgBouncer, pgbouncer_binary

_bouncer: PgBouncer | None = None


def pytest_addoption(parser):
    parser.addoption("--pgbouncer", action="store_true", default=False,
                     help="Run every database connection through PgBouncer in transaction mode.")


def wanted(config) -> bool:
    return bool(config.getoption("--pgbouncer", default=False)) or os.environ.get("NEXUSTOP_TEST_PGBOUNCER") == "1"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    global _bouncer
    namespace = early_config.known_args_namespace
    if not (getattr(namespace, "pgbouncer", False) or os.environ.get("NEXUSTOP_TEST_PGBOUNCER") == "1"):
        return
    if pgbouncer_binary() is None:
        raise pytest.UsageError(f"--pgbouncer: pgbouncer is not installed ({INSTALL_HINT})")
    direct = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/nexustop"
    _bouncer = PgBouncer(server_url=direct, pool_size=int(os.environ.get("NEXUSTOP_TEST_PGBOUNCER_POOL", "6")))
    _bouncer.start()
    database = urlparse(direct).path.lstrip("/") or "nexustop"
    os.environ["NEXUSTOP_DIRECT_DATABASE_URL"] = direct
    os.environ["DATABASE_URL"] = _bouncer.url_for(database)
    os.environ["DATABASE_POOL_MODE"] = "transaction"
    os.environ["NEXUSTOP_TEST_PGBOUNCER"] = "1"  # child processes (workers, servers) know it too


def pytest_report_header(config):
    if _bouncer is not None:
        return (f"database through PgBouncer (transaction mode, {_bouncer.pool_size} server connections) "
                f"on 127.0.0.1:{_bouncer.port}")
    return None


def pytest_unconfigure(config):
    if _bouncer is not None:
        _bouncer.stop()
