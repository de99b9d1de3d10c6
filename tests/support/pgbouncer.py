"""A real PgBouncer in transaction mode in front of the test PostgreSQL (Debian's ``pgbouncer``).

No Django import here: the pytest plugin (``tests.support.pooler``) starts it
before Django reads its settings. ``.ci/run`` installs the package where the
machine has apt; elsewhere the tests that need it are skipped locally with a
printed reason, and fail in CI (``CI=true``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlparse

INSTALL_HINT = "apt-get install pgbouncer (.ci/run does it where the machine has apt)"


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (path for path in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.access(path, os.X_OK)), None)


def unprivileged_user(host: str) -> str:
    """Whom PgBouncer runs as when started by root (it refuses root): ``nobody``, or, when it reaches PostgreSQL
    through a socket directory, that directory's owner. The embedded server's socket lies in its data directory
    (mode 0700, owned by the user it runs as): ``nobody`` cannot connect there and every pooled query timed out."""
    if host.startswith("/"):
        try:
            owner = pwd.getpwuid(os.stat(host).st_uid).pw_name
        except (OSError, KeyError):
            owner = ""
        if owner and owner != "root":
            return owner
    return "nobody"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PgBouncer:
    """One PgBouncer process; ``url_for(database)`` is a DATABASE_URL that goes through it."""

    server_url: str
    pool_size: int = 8
    pool_mode: str = "transaction"
    port: int = 0
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="nexustop-pgbouncer-")))
    process: subprocess.Popen | None = None

    def _server(self) -> tuple[str, str, str, str]:
        parsed = urlparse(self.server_url)
        query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        host = query.get("host") or parsed.hostname or "127.0.0.1"
        port = query.get("port") or str(parsed.port or 5432)
        return host, port, unquote(parsed.username or "postgres"), unquote(parsed.password or "")

    def start(self) -> PgBouncer:
        binary = pgbouncer_binary()
        if binary is None:
            raise RuntimeError(f"pgbouncer is not installed: {INSTALL_HINT}")
        host, port, user, password = self._server()
        self.port = self.port or _free_port()
        (self.workdir / "users.txt").write_text(f'"{user}" "{password}"\n')
        (self.workdir / "pgbouncer.ini").write_text(f"""[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.workdir / "users.txt"}
pool_mode = {self.pool_mode}
default_pool_size = {self.pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 500
max_db_connections = {self.pool_size * 4}
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
query_wait_timeout = 60
logfile = {self.workdir / "pgbouncer.log"}
""")
        command = [binary, str(self.workdir / "pgbouncer.ini")]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # PgBouncer refuses to run as root
            os.chmod(self.workdir, 0o777)
            command[1:1] = ["-u", unprivileged_user(host)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    error = self.process.stderr.read().decode() if self.process.stderr else ""
                    log = (self.workdir / "pgbouncer.log")
                    raise RuntimeError(f"pgbouncer did not start: {error} {log.read_text() if log.exists() else ''}")
                time.sleep(0.05)

    def url_for(self, database: str) -> str:
        _host, _port, user, password = self._server()
        auth = quote(user) + (f":{quote(password)}" if password else "")
        return f"postgres://{auth}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)
