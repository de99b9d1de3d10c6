"""pytest plugin: scan every log record of the whole test session for secrets (``-p tests.support.log_scan``).

A handler on the root logger sees what the platform logs at its configured levels during the entire
suite. The session fails when a line contains a JWT, a known test password, a KYC number used by the
tests, a provider secret from the test fixtures, ``SECRET_KEY`` or the JWT signing key. (The DEBUG-level
scan of one whole session, with dynamic secrets such as the OTP, is tests/security/test_log_scan.py.)
"""

from __future__ import annotations

import json
import logging
import re

import pytest

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
STATIC_SECRETS = {
    "test password": "Lagos-sunrise-2026!",
    "tenant admin password": "Test-password-2026!",
    "log-scan password": "Kano-harmattan-2026!",
    "kyc number (isolation)": "22287654321",
    "kyc number (no-leaks)": "22298765432",
    "kyc number (log scan)": "22255501234",
    "provider secret (catalog)": "SK_super_secret_value_never_shown_123",
    "provider secret (registry)": "SK_live_do_not_leak_4f9a2c",
    "paystack secret": "sk_test_abc123",
    "flutterwave secret": "FLWSECK_TEST-123-X",
}


class SecretScanHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.secrets = dict(STATIC_SECRETS)
        self.hits: list[str] = []
        self.lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a broken log call is not ours to judge here
            text = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            text += f" {record.exc_info[1]!r}"
        self.lines += 1
        found = [name for name, value in self.secrets.items() if value and value in text]
        if JWT.search(text):
            found.append("a JWT")
        if found and len(self.hits) < 50:
            self.hits.append(f"{record.name}: {', '.join(found)}: {text[:200]}")


_handler = SecretScanHandler()


@pytest.fixture(scope="session", autouse=True)
def _scan_logs_for_secrets():
    """Attached after Django configured logging (dictConfig replaces the root's handlers)."""
    from django.conf import settings

    _handler.secrets["SECRET_KEY"] = settings.SECRET_KEY
    _handler.secrets["JWT signing key"] = settings.SIMPLE_JWT.get("SIGNING_KEY", "")
    yield
    logging.getLogger().removeHandler(_handler)


@pytest.fixture(autouse=True)
def _log_scan_attached(_scan_logs_for_secrets):
    """Re-attach before every test: anything that reconfigures logging drops the root's handlers."""
    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)


class _XdistCollector:
    """Under pytest-xdist the records are seen by the workers: each sends its count and hits back."""

    @pytest.hookimpl
    def pytest_testnodedown(self, node, error):
        result = json.loads(getattr(node, "workeroutput", {}).get("log_scan", "{}") or "{}")
        _handler.lines += result.get("lines", 0)
        _handler.hits.extend(result.get("hits", [])[: 50 - len(_handler.hits)])


def pytest_configure(config):
    if config.pluginmanager.hasplugin("xdist") and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_XdistCollector(), "log-scan-xdist-collector")


def pytest_sessionfinish(session, exitstatus):
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["log_scan"] = json.dumps({"lines": _handler.lines, "hits": _handler.hits})
    if _handler.hits:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if _handler.hits:
        terminalreporter.section("secrets in log lines", red=True)
        for hit in _handler.hits:
            terminalreporter.write_line(hit)
    else:
        terminalreporter.write_line(f"log scan: {_handler.lines} log records, no secret found")
