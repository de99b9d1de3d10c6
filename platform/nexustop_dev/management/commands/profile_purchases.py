"""``manage.py profile_purchases``: the web side of ``POST /api/purchase``, in-process, without the noise.

Drives ``--requests`` purchases through the WSGI application itself (``nexustop.wsgi``: every middleware, the
URL resolver, DRF, the JWT, the view and its one ``purchase_accept`` call), as gunicorn would call it, in one
thread of this process, against a tenant provisioned like the bench's (``--schema``, default ``profng``). No
HTTP server, no dispatcher: the orders stay held (use a database of their own). Prints:

* CPU per request of this process (``time.process_time``) and of its PostgreSQL backend (``/proc``);
* SQL statements and Redis commands per request (counted in a second pass: the counters cost CPU);
* with ``--profile N``: cProfile of the measured pass, the ``N`` most expensive functions (cumulative and own).

Run it with the settings the bench's web server runs (``DJANGO_SETTINGS_MODULE=nexustop.settings.bench``).
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from nexustop_dev.cpu_meter import process_cpu
from nexustop_dev.management.commands.bench_purchases import Command as Bench
from provider_plugins.vtpass.simulator import VTPassSimulator


def purchase_environ(*, host: str, token: str, product_id: int, phone: str) -> dict[str, Any]:
    """What gunicorn hands the application for the bench client's request (same headers as ``requests``)."""
    body = json.dumps({"product_id": product_id, "recipient_phone": phone, "amount": "50.00"}).encode()
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/purchase", "QUERY_STRING": "", "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "wsgi.multithread": True, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)), "HTTP_HOST": host,
        "HTTP_AUTHORIZATION": f"Bearer {token}", "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex, "HTTP_USER_AGENT": "python-requests/2.34.2",
        "HTTP_ACCEPT_ENCODING": "gzip, deflate", "HTTP_ACCEPT": "*/*", "HTTP_CONNECTION": "keep-alive",
    }


class Command(BaseCommand):
    help = "CPU, SQL statements and Redis commands per POST /api/purchase through the WSGI application, in-process."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--schema", default="profng")
        parser.add_argument("--requests", type=int, default=500)
        parser.add_argument("--warmup", type=int, default=50)
        parser.add_argument("--users", type=int, default=20)
        parser.add_argument("--profile", type=int, default=0, help="print the N most expensive functions (cProfile)")
        parser.add_argument("--trace", action="store_true",
                            help="print one request's SQL statements and Redis commands (and where they come from)")

    def handle(self, *args, **opts) -> None:
        from nexustop.wsgi import application

        bench = Bench()
        bench.stdout, bench.stderr = self.stdout, self.stderr
        run = uuid.uuid4().hex[:8]
        schema = opts["schema"]
        bench._tenant(schema)
        simulator = VTPassSimulator(port=0, latency_seconds=0.0, duplicate_window_seconds=0)
        simulator.start()  # for the catalogue sync only: no dispatcher calls it here
        product = bench._setup_provider(simulator.url, run)
        users = bench._users(schema, opts["users"], run)
        connection.close()  # the application opens its own, as in a server that has just started
        host = f"{schema}.localhost"
        sequence = [0]

        def request() -> int:
            sequence[0] += 1
            token = users[sequence[0] % len(users)][1]
            phone = f"0803{(int(run, 16) + sequence[0]) % 10_000_000:07d}"
            status: list[str] = []

            def start_response(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                status.append(code)
                return lambda data: None

            body = application(purchase_environ(host=host, token=token, product_id=product.pk, phone=phone),
                               start_response)
            b"".join(body)
            getattr(body, "close", lambda: None)()
            return int(status[0].split()[0])

        for _ in range(opts["warmup"]):
            code = request()
            if code != 202:
                raise SystemExit(f"warm-up purchase answered {code}")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        count = opts["requests"]
        profiler = cProfile.Profile(time.process_time) if opts["profile"] else None  # CPU, not waits
        app, db = time.process_time(), process_cpu(backend)
        began = time.perf_counter()
        if profiler:
            profiler.enable()
        codes = Counter(request() for _ in range(count))
        if profiler:
            profiler.disable()
        wall = time.perf_counter() - began
        app, db = time.process_time() - app, process_cpu(backend) - db
        statements, commands = self._counted(request, count=min(count, 100))
        if opts["trace"]:
            self._counted(request, count=1, trace=self.stdout.write)
        out = self.stdout.write
        out(f"{count} purchases {dict(codes)}: app CPU {app * 1000 / count:.3f} ms, PostgreSQL backend "
            f"{db * 1000 / count:.3f} ms, wall {wall * 1000 / count:.3f} ms per request"
            f"{' (under cProfile)' if profiler else ''}")
        out(f"per request: {statements:.2f} SQL statements, {commands:.2f} Redis commands")
        if profiler:
            if os.environ.get("PROFILE_DUMP"):  # for pstats' callers/callees views
                profiler.dump_stats(os.environ["PROFILE_DUMP"])
            for order in ("cumulative", "tottime"):
                text = io.StringIO()
                pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(opts["profile"])
                out(text.getvalue())

    @staticmethod
    def _counted(request, *, count: int, trace=None) -> tuple[float, float]:
        """SQL statements (Django's execute wrapper) and Redis commands per request (``trace``: print them)."""
        import traceback

        import redis

        def caller() -> str:
            frames = [frame for frame in traceback.extract_stack()[:-2] if "site-packages" not in frame.filename
                      and "profile_purchases" not in frame.filename]
            return " < ".join(f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} {frame.name}"
                              for frame in reversed(frames[-3:]))

        statements = [0]
        commands = [0]

        import psycopg

        executed = psycopg.Cursor.execute

        def counted_execute(self, query, params=None, **kwargs):  # every statement, Django's health check too
            statements[0] += 1
            if trace:
                trace(f"SQL {str(query)[:100]!r} <- {caller()}")
            return executed(self, query, params, **kwargs)

        original = redis.Redis.execute_command

        def counting(self, *args, **kwargs):
            commands[0] += 1
            if trace:
                trace(f"Redis {args[:2]!r} <- {caller()}")
            return original(self, *args, **kwargs)

        redis.Redis.execute_command = counting  # type: ignore[method-assign]  # counted for this pass only
        psycopg.Cursor.execute = counted_execute  # type: ignore[method-assign]
        try:
            for _ in range(count):
                request()
        finally:
            redis.Redis.execute_command = original  # type: ignore[method-assign]
            psycopg.Cursor.execute = executed  # type: ignore[method-assign]
        return statements[0] / count, commands[0] / count
