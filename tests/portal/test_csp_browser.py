"""Issue 14 (smaller items), in a real browser: the Content-Security-Policy breaks nothing and is enforced.

Chromium loads the Swagger UI (its files from the platform itself, the schema fetched under
``connect-src 'self'``), the Django admin, the head-office console and the back office with its charts;
the ``new_page`` fixture fails the test on any policy violation Chromium reports (and watches every
other browser journey of tests/portal the same way). A script injected into a page without the nonce
does not run.
"""

from __future__ import annotations

import uuid

from .test_browser import PASSWORD, log_in, server_user


def test_api_docs_admin_console_and_back_office_render_under_the_policy(live_db, portal_url, new_page):
    tag = uuid.uuid4().hex[:6]
    page = new_page()
    docs = portal_url.format(host="ng.localhost") + "/api/docs/"
    # Every request of the page's load is recorded (the document, Swagger UI's files, the schema it fetches), from
    # a fresh context with nothing cached: one load, not a load and a reload (the schema is ~2.5 s to generate).
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    answer = page.goto(docs)
    assert "script-src 'self' 'nonce-" in answer.headers["content-security-policy"]
    page.locator(".opblock").first.wait_for()  # Swagger UI ran and rendered the schema it fetched
    # It loaded every operation; it draws only those in view once the list reaches 150 rows (virtualized).
    assert page.evaluate("ui.specSelectors.operations().size") > 20
    assert page.locator(".opblock").count() >= 5
    assert any("/api/schema/" in url for url in requested), requested
    assert all(url.startswith(portal_url.format(host="ng.localhost")) for url in requested), requested

    server_user("public", email=f"csp-root-{tag}@nexustop.example", role="super_admin", is_staff=True,
                is_superuser=True)
    head_office = portal_url.format(host="localhost")
    admin = new_page()
    admin.goto(f"{head_office}/admin/login/")
    admin.locator("#id_username").fill(f"csp-root-{tag}@nexustop.example")
    admin.locator("#id_password").fill(PASSWORD)
    admin.locator("input[type=submit]").click()
    admin.wait_for_url(f"{head_office}/admin/")
    admin.goto(f"{head_office}/admin/tenants/tenant/")
    assert admin.locator("#result_list").count() == 1
    admin.goto(f"{head_office}/console/login")
    admin.locator("#id_email").fill(f"csp-root-{tag}@nexustop.example")
    admin.locator("#id_password").fill(PASSWORD)
    admin.locator("main form button[type=submit]").click()
    admin.wait_for_url(f"{head_office}/console/tenants")
    admin.goto(f"{head_office}/console/analytics")

    base = portal_url.format(host="ng.localhost")
    server_user("ng", email=f"csp-admin-{tag}@example.com", role="operator_admin")
    operator = new_page()
    log_in(operator, base, f"csp-admin-{tag}@example.com")
    for path in ("/back-office/", "/back-office/applications", "/back-office/pricing"):
        operator.goto(base + path)
        operator.locator("main").wait_for()
    # The brand colours (the one inline <style>, with the nonce) did apply.
    colour = operator.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand-primary')")
    assert colour.strip().startswith("#")


def test_an_injected_script_does_not_run(live_db, portal_url, new_page):
    page = new_page()
    page.goto(portal_url.format(host="ng.localhost") + "/login")
    # Done once Chromium reported a refusal and the image's error event (the injected handler's moment) has fired.
    with page.expect_console_message(lambda message: "Content Security Policy" in message.text):
        page.evaluate("""() => new Promise(done => {
            const injected = document.createElement('div');
            injected.innerHTML = '<img src=x onerror="window.pwned = 1">';
            injected.firstChild.addEventListener('error', () => done());  // after the inline handler's turn
            document.body.appendChild(injected);
            const script = document.createElement('script');
            script.textContent = 'window.pwned = 2';
            document.body.appendChild(script);
        })""")
    assert page.evaluate("window.pwned === undefined")
    assert len(new_page.csp_violations) >= 1  # Chromium reported the refusal...
    new_page.csp_violations.clear()  # ...which is this test's point, not a failure of the page
