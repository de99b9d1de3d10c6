"""A new password signs the account out everywhere.

Found from outside: a password changed (the first admin's, set through an invitation; ``manage.py changepassword``)
left every refresh token of the account working, so whoever had stolen a session kept it for the refresh token's
7 days, and customers had no way to change a password at all. Now ``POST /api/auth/password/change`` (the current
password required, counted like a login) and every other ``set_password`` on an existing account revoke every
refresh-token family of the user: the refresh tokens are refused, their access tokens too (401
``session_revoked``); the device that made the change gets a new pair in the answer.
Real commits (the revocation marks are written when the change commits).
"""

from __future__ import annotations

import uuid

from django.test import Client
from django_tenants.utils import schema_context

from tests.accounts.helpers import PASSWORD, call, login, make_user

NEW_PASSWORD = "Harmattan-dusk-2027?"


def _customer():
    email = f"pw-{uuid.uuid4().hex[:8]}@ng.example"
    return email, make_user("ng", email=email, phone=f"+234803{uuid.uuid4().int % 10**7:07d}")


def _code(response) -> str:
    return response.json()["error"]["code"]


def test_a_password_change_signs_out_every_session_and_answers_a_new_pair(live_db, simulated_providers):
    from tenant_apps.audit.models import AuditEvent

    client = Client(HTTP_HOST="ng.localhost")
    email, user = _customer()
    phone, laptop = login(client, email), login(client, email)  # two sessions
    laptop_rotated = call(client, "POST", "/api/auth/refresh", {"refresh": laptop["refresh"]}).json()

    wrong = call(client, "POST", "/api/auth/password/change",
                 {"old_password": "not-the-password", "new_password": NEW_PASSWORD}, token=phone["access"])
    assert wrong.status_code == 400 and _code(wrong) == "invalid_credentials"
    weak = call(client, "POST", "/api/auth/password/change", {"old_password": PASSWORD, "new_password": "short"},
                token=phone["access"])
    assert weak.status_code == 400 and "new_password" in weak.json()["error"]["fields"]
    assert call(client, "GET", "/api/auth/me", token=phone["access"]).status_code == 200  # nothing changed yet

    changed = call(client, "POST", "/api/auth/password/change",
                   {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, token=phone["access"])
    assert changed.status_code == 200, changed.content
    fresh = changed.json()
    for tokens in (phone, laptop_rotated):  # every session, this one included, is over
        assert call(client, "POST", "/api/auth/refresh", {"refresh": tokens["refresh"]}).status_code == 401
        refused = call(client, "GET", "/api/auth/me", token=tokens["access"])
        assert refused.status_code == 401 and _code(refused) == "session_revoked"
    # The new pair works; the passwords are the new one's.
    assert call(client, "GET", "/api/auth/me", token=fresh["access"]).status_code == 200
    assert call(client, "POST", "/api/auth/refresh", {"refresh": fresh["refresh"]}).status_code == 200
    assert call(client, "POST", "/api/auth/login", {"email": email, "password": PASSWORD}).status_code == 401
    login(client, email, NEW_PASSWORD)
    with schema_context("ng"):
        assert AuditEvent.objects.filter(action="password_changed", actor_id=user.public_id).count() == 1


def test_any_new_password_on_an_existing_account_revokes_its_refresh_tokens(live_db, simulated_providers):
    """What an invitation's password, ``manage.py changepassword`` or a staff reset do: set_password and save."""
    client = Client(HTTP_HOST="ng.localhost")
    email, user = _customer()
    tokens = login(client, email)
    with schema_context("ng"):
        user.refresh_from_db()
        user.set_password(NEW_PASSWORD)
        user.save()
    assert call(client, "POST", "/api/auth/refresh", {"refresh": tokens["refresh"]}).status_code == 401
    assert call(client, "GET", "/api/auth/me", token=tokens["access"]).status_code == 401
    # Saving the user without a new password (a language change) revokes nothing.
    again = login(client, email, NEW_PASSWORD)
    assert call(client, "PATCH", "/api/auth/me", {"preferred_language": "fr"},
                token=again["access"]).status_code == 200
    assert call(client, "POST", "/api/auth/refresh", {"refresh": again["refresh"]}).status_code == 200


def test_the_head_office_changes_its_password_too(live_db, simulated_providers):
    from django.contrib.auth import get_user_model

    email = f"pw-{uuid.uuid4().hex[:8]}@nexustop.test"
    get_user_model().objects.create_superuser(email, PASSWORD)
    client = Client(HTTP_HOST="localhost")
    tokens = login(client, email)
    changed = call(client, "POST", "/api/auth/password/change",
                   {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, token=tokens["access"])
    assert changed.status_code == 200, changed.content
    assert call(client, "POST", "/api/auth/refresh", {"refresh": tokens["refresh"]}).status_code == 401
    assert call(client, "GET", "/api/auth/me", token=changed.json()["access"]).status_code == 200


def test_a_sign_in_checked_against_a_password_changed_meanwhile_starts_no_session(live_db, simulated_providers):
    """A sign-in racing a password change: its password was checked, then the change committed (revoking every
    session) before the sign-in's session started. The session starts under the user's row lock only while the
    checked password is still the account's; here it is not: 401 invalid_credentials and no family row."""
    import pytest

    from tenant_apps.accounts.models import RefreshTokenFamily, User
    from tenant_apps.accounts.services import InvalidCredentials, session_start

    email = f"race-{uuid.uuid4().hex[:8]}@example.com"
    make_user("ng", email=email)
    with schema_context("ng"):
        checked = User.objects.get(email=email)  # what the sign-in authenticated
        changed = User.objects.get(pk=checked.pk)
        changed.set_password("Another-long-passphrase-2026!")
        changed.save()  # the change commits first
        with pytest.raises(InvalidCredentials):
            session_start(user=checked, jti=uuid.uuid4().hex)
        assert not RefreshTokenFamily.objects.filter(user=checked).exists()
        family = session_start(user=changed, jti=uuid.uuid4().hex)  # signed in with the new password: a session
        assert RefreshTokenFamily.objects.filter(pk=family.pk, user=changed).exists()
