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
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection

USER_SENTINEL = 987_654_321_012  # stands for the buyer's id while a statement is composed
SEQUENCE = "public.nexustop_replay_recipient"


@dataclass
class Captured:
    """One statement as the service sent it."""

    sql: str
    params: Any


@dataclass
class Capture:
    """The statements of one purchase, and the recipient's last seven digits (replaced per replayed purchase)."""

    statements: list[Captured]
    phone_digits: str
    # The tenant's search path the statements ran with: a server session keeps it (tenants/postgresql_backend
    # sends the SET once per session, not per purchase), so the replay's sessions get it at connect.
    search_path: str = ""


def capture_purchase(*, host: str, token: str, product_id: int) -> Capture:
    """Every statement one accepted ``POST /api/purchase`` runs (through the test client: the whole stack)."""
    from django.test import Client

    captured: list[Captured] = []
    search_path: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        captured.append(Captured(sql, params))
        if "purchase_accept(" in sql:
            search_path[:] = connection._get_cursor_search_paths()  # type: ignore[attr-defined]  # tenants' backend
        return execute(sql, params, many, context)

    client = Client()

    def purchase(phone: str) -> Any:
        return client.post("/api/purchase", data={"product_id": product_id, "recipient_phone": phone,
                                                  "amount": "50.00"},
                           content_type="application/json", HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token}",
                           HTTP_X_FORWARDED_PROTO="https", HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex)

    purchase(f"0803{uuid.uuid4().int % 10**7:07d}")  # a warm process: its caches filled, as a server's are
    digits = f"{uuid.uuid4().int % 10**7:07d}"
    with connection.execute_wrapper(record):
        response = purchase(f"0816{digits}")  # the drive sends 0803 numbers: never a duplicate of its purchases
    if response.status_code != 202:
        raise RuntimeError(f"the captured purchase was refused: {response.status_code} {response.content[:300]!r}")
    return Capture(captured, digits, ",".join(search_path))


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
    """The captured statements as a pgbench script (simple protocol; ``:uid`` is the buyer; the first line, a
    comment, names the search path :func:`run_pgbench` gives each session)."""
    lines = [f"-- search_path: {capture.search_path}"] if capture.search_path else []
    for item in capture.statements:
        if "purchase_accept(" in item.sql:
            lines.append(_accept_statement(item.params[0], phone_digits=capture.phone_digits))
            continue
        params = item.params
        if isinstance(params, (list, tuple)):
            params = [USER_SENTINEL if value == user_id and isinstance(value, int) else value for value in params]
        sql = getattr(connection.ops, "compose_sql")(item.sql, params) if params else item.sql  # noqa: B009 (postgresql backend only)
        sql = re.sub(r"\s+", " ", sql).strip().replace(str(USER_SENTINEL), ":uid")
        lines.append(sql.rstrip(";") + ";")
    return "\n".join(lines) + "\n"


def _pgbench_binary() -> str:
    for candidate in (shutil.which("pgbench"), "/usr/lib/postgresql/15/bin/pgbench"):
        if candidate and os.path.exists(candidate):
            return candidate
    raise RuntimeError("pgbench not found (install postgresql-client or put it on PATH)")


def run_pgbench(script: str, *, user_ids: list[int], clients: int, seconds: float) -> float:
    """Transactions (purchases) per second of ``script`` from ``clients`` connections; each purchase's buyer drawn
    among ``user_ids``."""
    if not user_ids:
        raise ValueError("the replay needs buyers")
    buyers = ",".join(str(int(user_id)) for user_id in user_ids)
    script = script.replace(":uid", f"(ARRAY[{buyers}]::bigint[])[:buyer]")
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
    db = settings.DATABASES["default"]
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as handle:
        handle.write(f"\\set buyer random(1, {len(user_ids)})\n" + script)
    env = dict(os.environ)
    path = re.match(r"-- search_path: ([\w,]+)\n", script)
    if path:  # set at connect, as the server's session has it: no statement per purchase
        env["PGOPTIONS"] = f"-c search_path={path.group(1)}"
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    command = [_pgbench_binary(), "-n", "-f", handle.name, "-c", str(clients), "-j", str(min(clients, 2)),
               "-T", str(max(1, round(seconds))), "-h", db.get("HOST") or "127.0.0.1",
               "-p", str(db.get("PORT") or 5432), "-U", db["USER"], db["NAME"]]
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120)
    finally:
        os.unlink(handle.name)
    match = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
    failed = re.search(r"number of failed transactions: (\d+)", result.stdout)
    if result.returncode != 0 or not match or (failed and int(failed.group(1))):
        raise RuntimeError(f"pgbench failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return float(match.group(1))
