"""Browser-test plumbing: a real server process and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
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


@contextlib.contextmanager
def page_server(*, sms_simulator, kyc_simulator, timeout: float = 60.0) -> Iterator[str]:
    """``manage.py runserver`` (via serve.py) on a free port; yields ``http://{host}:{port}`` template."""
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
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/health", headers={"Host": "localhost"},
                                    timeout=2).status_code < 500:
                        break
                except requests.ConnectionError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"page server did not start:\n{log_path.read_text()[-4000:]}")
                time.sleep(0.2)
            yield f"http://{{host}}:{port}"
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def screenshot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
