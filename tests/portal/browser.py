"""Browser-test plumbing: a real server process and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import requests
from django.conf import settings

from tests.support.processes import child_env

ROOT = Path(settings.PROJECT_ROOT)
ARTIFACTS = ROOT / "test-artifacts" / "portal"


def chromium_executable() -> str | None:
    """Debian's Chromium (CI installs it), ``CHROMIUM_PATH``, or None for Playwright's own build.

    ``make test`` runs ``playwright install chromium`` on machines without a system Chromium.
    """
    import os
    import shutil

    for candidate in (os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


CHROMIUM = chromium_executable()
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
MOBILE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 860}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Asked once the server answers, while the session's Chromium and the first module's stack start: the first
# request to a tenant domain imports the tenant URL conf with every view (~1-2 s), and a login page compiles
# the base templates. Nothing a test reads is cached by it (no catalogue, no price list).
WARM_UP = (("ng.localhost", "/login"),)


class PageServer:
    """A page server being started: ``url`` at once; ``wait_ready()`` returns once it answers (and is warm).

    Its start (a Django process, moto, ~4-6 s) is watched by a thread, so the session's Chromium and the first
    module's worker and dispatcher start meanwhile (tests/portal/conftest.py waits before each test).
    """

    def __init__(self, proc: subprocess.Popen, port: int, log_path: Path, timeout: float) -> None:
        self.proc, self.port, self.log_path, self.timeout = proc, port, log_path, timeout
        self.url = f"http://{{host}}:{port}"
        self._answered = threading.Event()
        self._ready = False
        self._watcher = threading.Thread(target=self._watch, name="page-server-start", daemon=True)
        self._watcher.start()

    def _watch(self) -> None:
        deadline = time.monotonic() + self.timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{self.port}/health", headers={"Host": "localhost"},
                                timeout=2).status_code < 500:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        else:
            self._answered.set()  # wait_ready() reports the failure
            return
        for host, path in WARM_UP:
            with contextlib.suppress(requests.RequestException):
                requests.get(f"http://127.0.0.1:{self.port}{path}", headers={"Host": host}, timeout=30)
        self._answered.set()

    def wait_ready(self) -> None:
        """Block until the server answered and was warmed up; fail with its log if it did not start or died."""
        if not self._ready:
            self._answered.wait(self.timeout + 60)
            self._ready = self._answered.is_set() and self.proc.poll() is None and self._up()
        if not self._ready or self.proc.poll() is not None:
            raise RuntimeError(f"page server not running:\n{self.log_path.read_text()[-4000:]}")

    def _up(self) -> bool:
        try:
            return requests.get(f"http://127.0.0.1:{self.port}/health", headers={"Host": "localhost"},
                                timeout=10).status_code < 500
        except requests.ConnectionError:
            return False

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._watcher.join(timeout=10)


@contextlib.contextmanager
def page_server(*, sms_simulator, kyc_simulator, timeout: float = 60.0) -> Iterator[PageServer]:
    """``manage.py runserver`` (via serve.py) on a free port, being started: ``server.url`` is the
    ``http://{host}:{port}`` template, ``server.wait_ready()`` waits until it answers."""
    if not settings.DATABASES["default"]["NAME"].startswith("test_"):
        raise RuntimeError("page_server: the test database is not set up; refusing to serve the real one")
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_path = ARTIFACTS / "server.log"
    env = child_env(
        SMS_GATEWAY_URL=sms_simulator.url, SMS_GATEWAY_API_KEY=sms_simulator.api_key,
        KYC_VERIFIER_ENABLED="1", KYC_VERIFIER_URL=kyc_simulator.url,
        KYC_VERIFIER_PARTNER_ID=kyc_simulator.partner_id, KYC_VERIFIER_API_KEY=kyc_simulator.api_key,
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing",
        AWS_DEFAULT_REGION="eu-west-1", AWS_S3_ENDPOINT_URL="", PYTHONUNBUFFERED="1")
    with open(log_path, "w") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "portal" / "serve.py"), str(port)],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        server = PageServer(proc, port, log_path, timeout)
        try:
            yield server
        finally:
            server.stop()


def screenshot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


POLL_MS = 2000  # hx-trigger="every 2s": the receipts, the agent's sale and the bulk progress poll the server


def fast_polls(page) -> None:
    """Fake timers for ``page``'s context (Playwright's clock; time still flows as usual), so ``until_polled`` can
    move a poller on to its next poll. Call before the polling page loads."""
    page.context.clock.install()


def until_polled(page, locator, *, timeout: float = 30.0) -> None:
    """Wait for ``locator``, which an htmx poller (``every 2s``) swaps in: rather than sitting out the 2 s between
    polls, the page's clock (``fast_polls``) jumps to the next poll whenever it has not shown within 0.2 s. Each
    poll is still htmx's own request and in-place swap."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    deadline = time.monotonic() + timeout
    while True:
        try:
            locator.wait_for(timeout=200)
            return
        except PlaywrightTimeoutError:
            if time.monotonic() > deadline:
                raise
            page.clock.fast_forward(POLL_MS)
