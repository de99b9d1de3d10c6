"""A refresh token is spent once, even when a thief and its owner present it at the same moment.

Found from outside: four ``POST /api/auth/refresh`` with one refresh token, released together, all got
200 and four new token pairs (simplejwt checks the blacklist, then blacklists: two requests between the
check and the write both pass). A stolen refresh token raced against its owner's app forked the session
into a second one that logout of the first never ends. Now concurrent refreshes of one token queue on the
token's row: exactly one rotates, the others get 401 ``token_not_valid`` and no new token is recorded for
them. Real commits and real threads (one database connection each), on a tenant and on the head office.

Found from outside next: a refresh token presented again after it was rotated got a plain 401 and nothing else, so
a thief who refreshed first kept a live session the owner never learnt of (and the owner's next refresh, with the
token the thief had already used, changed nothing either). Now the reuse of a rotated token (past the grace window,
``JWT_REFRESH_REUSE_GRACE_SECONDS``) revokes the whole family of that sign-in: 401 ``refresh_token_reused``, the live
refresh token refused (whoever holds it), its access tokens refused (401 ``session_revoked``), an audit event; other
sign-ins of the user are untouched. Within the grace window the reuse is refused and revokes nothing (a client's
own retry, the racers above).

And a logout racing a refresh of the same token (``POST /api/auth/logout`` with the token the refresh rotates) left
the refresh's new token alive when the refresh won: the logout was refused (the token was used) and the session went
on. Logout now takes the family's lock as refresh does and revokes the family, whichever rotation it is at.
"""

from __future__ import annotations

import json
import uuid

from django.contrib.auth import get_user_model
from django.test import Client
from django_tenants.utils import schema_context

from tests.accounts.helpers import PASSWORD, login, make_user
from tests.support.concurrency import run_concurrently

RACERS = 5


def _refresh(host: str, raw: str):
    return Client(HTTP_HOST=host).post("/api/auth/refresh", json.dumps({"refresh": raw}),
                                       content_type="application/json")


def _logout(host: str, access: str, raw: str):
    return Client(HTTP_HOST=host).post("/api/auth/logout", json.dumps({"refresh": raw}),
                                       content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {access}")


def _me(host: str, access: str):
    return Client(HTTP_HOST=host).get("/api/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}")


def _code(response) -> str:
    return response.json()["error"]["code"]


def _customer(label: str):
    email = f"{label}-{uuid.uuid4().hex[:8]}@ng.example"
    return email, make_user("ng", email=email, phone=f"+234803{uuid.uuid4().int % 10**7:07d}")


def _race(host: str, raw: str, schema: str) -> list[tuple[int, dict]]:
    """RACERS refreshes of one token, released together: (status, body) of each."""

    def send(_index: int) -> tuple[int, dict]:
        response = _refresh(host, raw)
        return response.status_code, response.json()

    answers = run_concurrently(RACERS, send, schema=schema)
    assert not [answer for answer in answers if isinstance(answer, Exception)], answers
    return answers  # type: ignore[return-value]  # no exception among them


def _outstanding(schema: str, user_pk: int) -> int:
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    with schema_context(schema):
        return OutstandingToken.objects.filter(user_id=user_pk).count()


def _assert_spent_once(schema: str, host: str, user, refresh: str) -> None:
    before = _outstanding(schema, user.pk)
    answers = _race(host, refresh, schema)
    won = [body for status, body in answers if status == 200]
    lost = [body for status, body in answers if status != 200]
    assert len(won) == 1, sorted(status for status, _body in answers)
    assert {status for status, _body in answers} == {200, 401}
    assert all(body["error"]["code"] == "token_not_valid" for body in lost), lost
    assert _outstanding(schema, user.pk) == before + 1  # one new refresh token, not one per racer
    # The winner's new token works and the raced one stays spent.
    assert _refresh(host, won[0]["refresh"]).status_code == 200
    assert _refresh(host, refresh).status_code == 401


def test_concurrent_refreshes_of_one_token_rotate_it_once_on_a_tenant(live_db, simulated_providers):
    email = f"refresh-race-{uuid.uuid4().hex[:8]}@ng.example"
    user = make_user("ng", email=email, phone=f"+234803{uuid.uuid4().int % 10**7:07d}")
    for _trial in range(2):  # a race: twice, each with a fresh sign-in
        pair = login(Client(HTTP_HOST="ng.localhost"), email)
        _assert_spent_once("ng", "ng.localhost", user, pair["refresh"])


def test_concurrent_refreshes_of_one_token_rotate_it_once_on_the_head_office(live_db, simulated_providers):
    email = f"refresh-race-{uuid.uuid4().hex[:8]}@nexustop.test"
    user = get_user_model().objects.create_superuser(email, PASSWORD)
    pair = login(Client(HTTP_HOST="localhost"), email)
    _assert_spent_once("public", "localhost", user, pair["refresh"])


def _assert_reuse_revokes_the_family(schema: str, host: str, user, email: str, settings) -> None:
    from tenant_apps.audit.models import AuditEvent

    settings.JWT_REFRESH_REUSE_GRACE_SECONDS = 0  # every reuse is past the window
    stolen = login(Client(HTTP_HOST=host), email)
    other_sign_in = login(Client(HTTP_HOST=host), email)  # another session of the same user
    thief = _refresh(host, stolen["refresh"])  # the thief rotates first
    assert thief.status_code == 200, thief.content
    owner = _refresh(host, stolen["refresh"])  # the owner's app presents the token the thief used
    assert owner.status_code == 401 and _code(owner) == "refresh_token_reused", owner.content
    # The family is gone: the thief's refresh token, its new access token and the owner's old one.
    assert _code(_refresh(host, thief.json()["refresh"])) == "token_not_valid"
    assert _me(host, thief.json()["access"]).status_code == 401
    assert _code(_me(host, thief.json()["access"])) == "session_revoked"
    assert _code(_me(host, stolen["access"])) == "session_revoked"
    assert _refresh(host, stolen["refresh"]).status_code == 401
    # The user's other sign-in goes on.
    assert _me(host, other_sign_in["access"]).status_code == 200
    assert _refresh(host, other_sign_in["refresh"]).status_code == 200
    with schema_context(schema):
        assert AuditEvent.objects.filter(action="refresh_token_reused", actor_id=user.public_id).count() == 1


def test_a_used_refresh_token_presented_again_revokes_its_family_on_a_tenant(live_db, settings):
    email, user = _customer("reuse")
    _assert_reuse_revokes_the_family("ng", "ng.localhost", user, email, settings)


def test_a_used_refresh_token_presented_again_revokes_its_family_on_the_head_office(live_db, settings):
    email = f"reuse-{uuid.uuid4().hex[:8]}@nexustop.test"
    user = get_user_model().objects.create_superuser(email, PASSWORD)
    _assert_reuse_revokes_the_family("public", "localhost", user, email, settings)


def test_a_reuse_within_the_grace_window_is_refused_and_revokes_nothing(live_db, settings):
    settings.JWT_REFRESH_REUSE_GRACE_SECONDS = 30
    email, _user = _customer("retry")
    pair = login(Client(HTTP_HOST="ng.localhost"), email)
    rotated = _refresh("ng.localhost", pair["refresh"])
    assert rotated.status_code == 200
    retried = _refresh("ng.localhost", pair["refresh"])  # the app's retry of a refresh whose answer it lost
    assert retried.status_code == 401 and _code(retried) == "token_not_valid"
    assert _me("ng.localhost", rotated.json()["access"]).status_code == 200
    assert _refresh("ng.localhost", rotated.json()["refresh"]).status_code == 200


def test_logout_with_a_token_a_refresh_rotated_ends_the_new_token_too(live_db):
    """The refresh won the race (sequentially here): the logout, with the token the app still held, ends the
    session at whatever rotation it is (its lost successor included)."""
    email, _user = _customer("logout-late")
    pair = login(Client(HTTP_HOST="ng.localhost"), email)
    rotated = _refresh("ng.localhost", pair["refresh"])
    assert rotated.status_code == 200
    logged_out = _logout("ng.localhost", pair["access"], pair["refresh"])
    assert logged_out.status_code == 200, logged_out.content
    assert _refresh("ng.localhost", rotated.json()["refresh"]).status_code == 401
    assert _code(_me("ng.localhost", rotated.json()["access"])) == "session_revoked"


def test_a_logout_racing_a_refresh_of_its_token_leaves_no_live_session(live_db):
    """Logout and refresh of one token released together: either the logout won (the refresh is refused) or the
    refresh won and the logout revoked its new token; never a live successor. Several rounds, both orders."""
    email, _user = _customer("logout-race")
    for _round in range(4):
        pair = login(Client(HTTP_HOST="ng.localhost"), email)

        def send(index: int, pair=pair):
            if index == 0:
                return _logout("ng.localhost", pair["access"], pair["refresh"])
            return _refresh("ng.localhost", pair["refresh"])

        logout, refresh = run_concurrently(2, send)
        assert not isinstance(logout, Exception) and not isinstance(refresh, Exception), (logout, refresh)
        assert logout.status_code == 200, logout.content
        assert refresh.status_code in (200, 401), refresh.content
        if refresh.status_code == 200:  # the refresh won: its new token must be dead anyway
            assert _refresh("ng.localhost", refresh.json()["refresh"]).status_code == 401
            assert _me("ng.localhost", refresh.json()["access"]).status_code == 401
        assert _refresh("ng.localhost", pair["refresh"]).status_code == 401
