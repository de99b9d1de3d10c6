"""Issue 14, item 8 and the NAT item: every login form locks the account, and an IP is only slowed.

Reported: the Django admin login had no lockout (40 wrong passwords at ~170/min, then the right one
worked); and 20 failures from one IP locked every account of the tenant for that IP, so three people
behind one NAT could lock each other (and an attacker sharing their address could lock them all).
"""

from __future__ import annotations

import time
import uuid

import pytest
from django.contrib.auth import get_user_model

from tests.accounts.helpers import PASSWORD, call, make_user

pytestmark = pytest.mark.django_db

OFFICE_IP = "198.51.100.77"  # a NAT: many people, one address


def admin_login(client, email, password, ip="203.0.113.50"):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password,
                                                      "next": "/admin/"}, REMOTE_ADDR=ip)


def logged_into_admin(client) -> bool:
    return client.get("/admin/").status_code == 200


@pytest.fixture
def super_admin(tenants):
    email = f"root-{uuid.uuid4().hex[:6]}@nexustop.test"
    get_user_model().objects.create_superuser(email, PASSWORD)
    return email


def test_django_admin_login_locks_the_account_like_the_api(super_admin, host_client, clean_rate_limits):
    client = host_client("localhost")
    answers = [admin_login(client, super_admin, f"wrong-{i}-password").status_code for i in range(40)]
    assert answers == [200] * 40  # the form again, never a redirect into the admin
    right = admin_login(client, super_admin, PASSWORD)
    assert right.status_code == 200 and b"Too many" in right.content
    assert not logged_into_admin(client)
    # The same counters as the API and the console: the account is locked there too, from another IP.
    api = call(host_client("localhost"), "POST", "/api/auth/login", {"email": super_admin, "password": PASSWORD},
               REMOTE_ADDR="192.0.2.99")
    assert (api.status_code, api.json()["error"]["code"]) == (429, "too_many_attempts")
    assert int(api["Retry-After"]) > 60
    console = host_client("localhost").post("/console/login", {"email": super_admin, "password": PASSWORD},
                                            REMOTE_ADDR="192.0.2.98")
    assert console.status_code == 400 and b"Too many" in console.content


def test_django_admin_login_is_rate_limited_per_ip(super_admin, host_client, clean_rate_limits, settings):
    settings.AUTH_THROTTLE_RATES = {**settings.AUTH_THROTTLE_RATES, "auth_login": "3/min"}
    client = host_client("localhost")
    for index in range(3):  # spraying three accounts: no account reaches its lockout
        admin_login(client, f"nobody-{index}@nexustop.test", "wrong-password", ip="203.0.113.60")
    throttled = admin_login(client, super_admin, PASSWORD, ip="203.0.113.60")
    assert b"Too many" in throttled.content and not logged_into_admin(client)
    assert admin_login(client, super_admin, PASSWORD, ip="203.0.113.61").status_code == 302
    assert logged_into_admin(client)


def test_a_staff_login_still_works_and_a_customer_cannot_use_the_admin(super_admin, host_client,
                                                                       clean_rate_limits):
    client = host_client("localhost")
    assert admin_login(client, super_admin, PASSWORD).status_code == 302 and logged_into_admin(client)
    email = f"plain-{uuid.uuid4().hex[:6]}@nexustop.test"
    get_user_model().objects.create_user(email=email, password=PASSWORD, role="analyst", is_staff=False)
    other = host_client("localhost")
    assert admin_login(other, email, PASSWORD).status_code == 200 and not logged_into_admin(other)


def test_portal_login_form_locks_the_account(host_client, clean_rate_limits):
    email = f"portal-{uuid.uuid4().hex[:6]}@example.test"
    make_user("ng", email=email, phone="+2348031119001")
    client = host_client("ng.localhost")
    for index in range(5):
        client.post("/login", {"email": email, "password": f"wrong-{index}-password"}, REMOTE_ADDR="203.0.113.70")
    right = client.post("/login", {"email": email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.71")
    assert right.status_code == 400 and b"Too many" in right.content


def login_from(client, email, password, ip=OFFICE_IP):
    return call(client, "POST", "/api/auth/login", {"email": email, "password": password}, REMOTE_ADDR=ip)


def test_people_behind_one_ip_are_slowed_not_locked_out(host_client, clean_rate_limits, settings):
    """Several accounts behind one address mistype their passwords (and an attacker sprays from the same
    address) past the per-IP budget: each honest login still gets in after a short wait, the sprayer gets
    one guess per backoff, and the per-account lockout still holds."""
    settings.LOGIN_LOCKOUT = {**settings.LOGIN_LOCKOUT, "MAX_FAILURES_PER_IP": 6, "IP_BACKOFF_BASE_SECONDS": 0.3,
                              "IP_BACKOFF_MAX_SECONDS": 1.0}
    staff = [f"clerk-{index}-{uuid.uuid4().hex[:6]}@example.test" for index in range(4)]
    for index, email in enumerate(staff):
        make_user("ng", email=email, phone=f"+23480311190{10 + index}")
    client = host_client("ng.localhost")
    for round_ in range(2):  # four people, two typos each: 8 failures from the office, none locks an account
        for email in staff:
            response = login_from(client, email, f"typo-{round_}-password")
            assert response.status_code in (401, 429)
    # An attacker behind the same NAT keeps guessing: slowed to one evaluated guess per backoff.
    sprayed = [login_from(client, f"victim-{index}@example.test", "Spring-2026!") for index in range(10)]
    assert sum(response.status_code == 429 for response in sprayed) >= 8
    assert all(int(r["Retry-After"]) <= 1 for r in sprayed if r.status_code == 429)
    # Every honest person gets in, each within the backoff (not the 15-minute lockout).
    started = time.monotonic()
    for email in staff:
        while True:
            response = login_from(client, email, PASSWORD)
            if response.status_code != 429:
                break
            assert time.monotonic() - started < 10, "an honest login behind the NAT stayed refused"
            time.sleep(0.1)
        assert response.status_code == 200, response.content
    # Per-account lockout still holds: five failures lock the account, from anywhere.
    target = staff[0]
    for index in range(5):
        login_from(client, target, f"guess-{index}-password", ip="192.0.2.201")
    locked = login_from(client, target, PASSWORD, ip="192.0.2.202")
    assert (locked.status_code, locked.json()["error"]["code"]) == (429, "too_many_attempts")
