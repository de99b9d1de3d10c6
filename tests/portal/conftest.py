"""Portal tests run with the SMS and KYC simulators and a clean Redis (tests/fixtures/sms_kyc.py); a page server
and a headless Chromium for the browser tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _page_server_ready(request):
    """A test with the page server starts once it answers (its start overlapped the session's Chromium and the
    module's stack: function-scoped fixtures come after those)."""
    if "portal_url" in request.fixturenames:
        request.getfixturevalue("page_server").wait_ready()


@pytest.fixture(autouse=True)
def _simulated_providers(simulated_providers):
    yield


@pytest.fixture(scope="session")
def page_server(django_db_setup, sms_simulator, kyc_simulator):
    """The real server process of the pages (tests/portal/browser.py), being started."""
    from .browser import page_server

    with page_server(sms_simulator=sms_simulator, kyc_simulator=kyc_simulator) as server:
        yield server


@pytest.fixture(scope="session")
def portal_url(page_server):
    """``portal_url.format(host="ng.localhost") + "/signup"``: the pages served by a real server process (the
    tests start once it answers: ``_page_server_ready``)."""
    return page_server.url


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian Chromium for the session.

    Playwright's sync API keeps an event loop on this thread; the ORM calls the
    tests make in between are ordinary blocking calls, so Django's async guard
    is lifted for this process (the server process is unaffected).
    """
    import os

    from playwright.sync_api import sync_playwright

    from .browser import CHROMIUM, CHROMIUM_ARGS

    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class _NewPage:
    """What ``new_page`` gives: call it for a page; ``csp_violations`` lists what Chromium refused so far."""

    def __init__(self, make: Callable[..., Any], violations: list[str]) -> None:
        self._make, self.csp_violations = make, violations

    def __call__(self, *, mobile: bool = False, locale: str = "en-GB") -> Any:
        return self._make(mobile=mobile, locale=locale)


@pytest.fixture
def new_page(chromium):
    """``new_page(mobile=True, locale="fr-SN")``: a fresh browser context (own cookies) and page.

    Every page of every browser test is also watched for Content-Security-Policy violations (Chromium
    reports each refused script, style or connection on the console): any fails the test.
    """
    from .browser import DESKTOP, MOBILE

    contexts = []
    violations: list[str] = []

    def watch(message) -> None:
        if "Content Security Policy" in message.text:
            violations.append(f"{message.location.get('url', '')}: {message.text}")

    def make(*, mobile: bool = False, locale: str = "en-GB"):
        context = chromium.new_context(viewport=MOBILE if mobile else DESKTOP, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("console", watch)
        return page

    yield _NewPage(make, violations)
    for context in contexts:
        context.close()
    assert violations == [], "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture(autouse=True)
def _committed_writes(request):
    """Browser tests need the test process's writes committed: refuse to run inside a transaction."""
    if "live_db" not in request.fixturenames:
        yield
        return
    from django.db import connection

    request.getfixturevalue("live_db")
    state = (connection.in_atomic_block, connection.get_autocommit())
    assert state == (False, True), f"test connection is not in autocommit mode: atomic, autocommit = {state}"
    yield
