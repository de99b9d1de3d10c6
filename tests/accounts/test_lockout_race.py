"""Concurrent wrong passwords cannot get more than the account's budget of password checks.

Reported: the lockout only read the account's ``:locked`` flag before the password check and counted the
failure after it, so N guesses sent at once all passed the check and all had their password tried: with the
default 5, an attacker got ~5 + concurrency guesses per lockout window. Reproduced deterministically: every
password check starts the next "concurrent" login before it answers, so no failure is recorded until all of
them have been let through (or refused).
"""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django_tenants.utils import schema_context

from tests.accounts.helpers import PASSWORD, make_user

pytestmark = pytest.mark.django_db

CONCURRENT = 12


def _request(index: int):
    return RequestFactory().post("/api/auth/login", REMOTE_ADDR=f"192.0.2.{10 + index}")  # many IPs: a botnet


def test_concurrent_wrong_passwords_get_at_most_the_accounts_budget_of_checks(monkeypatch):
    from tenant_apps.accounts import services
    from tenant_apps.accounts.services import InvalidCredentials, TooManyAttempts, user_login

    email = "raced@example.com"
    make_user("ng", email=email, phone="+2348032229001")
    real_authenticate = services.authenticate
    checked: list[str] = []
    answers: list[str] = []
    launched = [0]

    def racing_authenticate(request, **credentials):
        """A password check still running while every later guess arrives (each runs before this one answers)."""
        checked.append(credentials["password"])
        _launch_the_rest()
        return real_authenticate(request, **credentials)

    def _launch_the_rest() -> None:
        while launched[0] < CONCURRENT:
            index = launched[0]
            launched[0] += 1
            try:
                user_login(email=email, password=f"guess-{index}-password", request=_request(index))
            except InvalidCredentials:
                answers.append("invalid")
            except TooManyAttempts:
                answers.append("locked")

    monkeypatch.setattr(services, "authenticate", racing_authenticate)
    with schema_context("ng"):
        _launch_the_rest()
        assert len(checked) <= 5, f"{len(checked)} passwords checked"  # MAX_FAILURES_PER_ACCOUNT
        assert answers.count("invalid") == len(checked) and len(answers) == CONCURRENT
        monkeypatch.setattr(services, "authenticate", real_authenticate)
        with pytest.raises(TooManyAttempts):  # the account is locked: the right password too
            user_login(email=email, password=PASSWORD, request=_request(99))
        from tenant_apps.audit.models import AuditEvent

        assert AuditEvent.objects.filter(action="login_failed", actor_email=email).count() == len(checked)
        assert AuditEvent.objects.filter(action="login_locked_out", actor_email=email).count() \
            == CONCURRENT - len(checked) + 1


def test_a_right_password_among_few_guesses_still_logs_in_and_resets_the_count():
    """The attempt is counted before the check; a success forgets the account's count as before."""
    from tenant_apps.accounts.services import InvalidCredentials, user_login

    email = "typo@example.com"
    make_user("ng", email=email, phone="+2348032229002")
    with schema_context("ng"):
        for _round in range(2):
            for index in range(4):
                with pytest.raises(InvalidCredentials):
                    user_login(email=email, password=f"typo-{index}-password", request=_request(index))
            assert user_login(email=email, password=PASSWORD, request=_request(50)).email == email
