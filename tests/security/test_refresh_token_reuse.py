"""A refresh token is spent once, even when a thief and its owner present it at the same moment.

Found from outside: four ``POST /api/auth/refresh`` with one refresh token, released together, all got
200 and four new token pairs (simplejwt checks the blacklist, then blacklists: two requests between the
check and the write both pass). A stolen refresh token raced against its owner's app forked the session
into a second one that logout of the first never ends. Now concurrent refreshes of one token queue on the
token's row: exactly one rotates, the others get 401 ``token_not_valid`` and no new token is recorded for
them. Real commits and real threads (one database connection each), on a tenant and on the head office.
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
