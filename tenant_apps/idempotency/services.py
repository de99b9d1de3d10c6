"""Idempotent execution of money-moving requests (Stripe/Zulip style, one transaction).

The key row, the business writes and the stored response commit together, so
either a key has a completed response of writes that happened, or the key does
not exist and the client may retry. While the first request runs it holds a
transaction-scoped advisory lock on (schema, user, key): a concurrent twin
fails to take it and is answered 409 at once instead of waiting or running
twice. Failed requests (an exception or a 4xx/5xx answer) roll back and store
nothing, so fixing the cause and retrying with the same key works.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from shared_apps.core.db_refusals import json_value, refusals
from shared_apps.core.errors import ApiError, run_after_rollback
from tenants.connection import current_schema

from .errors import IdempotencyInFlight, IdempotencyKeyReused
from .models import IdempotencyKey, KeyState
from .sealing import seal, unseal

# Response headers worth replaying (DRF adds Content-Type itself when rendering).
_REPLAYED_HEADERS = ("location", "x-resource-id")


@dataclass(frozen=True)
class Fingerprint:
    method: str
    path: str
    body_hash: str


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: Any  # the answer's JSON (as the handler gave it, or read back from the key's row)
    headers: dict[str, str]
    # Top-level body fields holding a bearer secret (a withdrawal code): stored encrypted (sealing.py).
    sealed: tuple[str, ...] = ()


_Answer = TypeVar("_Answer")
_Checked = TypeVar("_Checked")


def body_hash(data: object) -> str:
    """Hash of the parsed body in canonical JSON (key order and whitespace do not matter)."""
    if hasattr(data, "lists"):  # QueryDict (form posts)
        data = {key: values for key, values in data.lists()}
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _lock_id(user_id: int, key: str) -> int:
    digest = hashlib.blake2b(f"{current_schema()}:{user_id}:{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def run_idempotently(*, user, key: str, fingerprint: Fingerprint, execute: Callable[[], StoredResponse],
                     channel: str = "web") -> tuple[StoredResponse, bool]:
    """Run ``execute`` at most once per (user, key); returns (response, replayed).

    ``execute`` runs inside the transaction; a response with status >= 400 rolls everything back. An
    ``ApiError`` rolls back too, then its after-rollback hooks run (the record of a refused payment).
    The transaction PIN gate (``tenant_apps.pins.gate``) runs here for every money-moving request: a
    PIN the request presented is checked first (its own committed transaction, so a wrong one counts),
    then every debit ``execute`` makes of ``user``'s wallets passes the ``channel``'s PIN rule
    ("web": the tenant's threshold for the portal and the API; "ussd": always).
    """
    from tenant_apps.pins.gate import authorise

    authorisation = authorise(user=user, channel=channel)
    try:
        return _run_in_transaction(user=user, key=key, fingerprint=fingerprint, execute=execute,
                                   authorisation=authorisation)
    except ApiError as exc:
        run_after_rollback(exc)
        raise


def _run_in_transaction(*, user, key: str, fingerprint: Fingerprint, execute: Callable[[], StoredResponse],
                        authorisation) -> tuple[StoredResponse, bool]:
    with transaction.atomic():
        stored = begin(user_id=user.pk, key=key, fingerprint=fingerprint)  # rank 1 of shared_apps.core.locks
        if stored is not None:
            return stored, True
        # The advisory lock keeps twins out until we commit, so the key row is written once, at the
        # end, already completed (no IN_FLIGHT insert + UPDATE: one statement less per request).
        with authorisation.guard():
            response = execute()
        if response.status >= 400:
            transaction.set_rollback(True)
            return response, False
        complete(user_id=user.pk, key=key, fingerprint=fingerprint, response=response)
        return response, False


# The refusals of the server-side key functions (migration 0002), in this app's words.
IDEMPOTENCY_REFUSALS = {
    "idempotency_in_flight": lambda refusal: IdempotencyInFlight(),
    "idempotency_key_reused": lambda refusal: IdempotencyKeyReused(),
}


def _stored(row: Any) -> StoredResponse | None:
    row = json_value(row)
    if row is None:
        return None
    return StoredResponse(row["status"], unseal(row["body"]), row["headers"] or {})


def begin(*, user_id: int, key: str, fingerprint: Fingerprint) -> StoredResponse | None:
    """In the request's transaction: the key's advisory lock (409 for a twin in flight), then its stored answer
    (None: not answered yet; 422 for another request under the key). One call of ``idempotency_begin``."""
    with refusals(IDEMPOTENCY_REFUSALS), connection.cursor() as cursor:
        cursor.execute("SELECT idempotency_begin(%s, %s, %s, %s, %s, %s)",
                       [_lock_id(user_id, key), user_id, key, fingerprint.method, fingerprint.path,
                        fingerprint.body_hash])
        return _stored(cursor.fetchone()[0])


def stored_answer(*, user_id: int, key: str, fingerprint: Fingerprint) -> StoredResponse | None:
    """The key's stored answer without its lock (None: none yet; 422 for another request under the key)."""
    with refusals(IDEMPOTENCY_REFUSALS), connection.cursor() as cursor:
        cursor.execute("SELECT idempotency_stored(%s, %s, %s, %s, %s)",
                       [user_id, key, fingerprint.method, fingerprint.path, fingerprint.body_hash])
        return _stored(cursor.fetchone()[0])


def check_unless_answered(*, answered: Callable[[], _Answer | None],
                          check: Callable[[], _Checked]) -> tuple[_Answer | None, _Checked | None]:
    """``(answer, None)`` when the request was already answered, else ``(None, check())``.

    For a money step whose check spends something or counts a wrong guess on its own (a one-time code, a
    step-up challenge): a request already answered is replayed without checking again (the code is spent by
    then: checking it would refuse, and count a wrong guess). A check that refuses (``ApiError``) looks again:
    a twin that missed the first look while its first copy was still running finds the code spent once that
    copy commits, and must get the first answer, not a refusal of a request that went through.
    """
    answer = answered()
    if answer is not None:
        return answer, None
    try:
        return None, check()
    except ApiError:
        answer = answered()
        if answer is not None:
            return answer, None
        raise


def replayed_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k.lower() in _REPLAYED_HEADERS}


def complete(*, user_id: int, key: str, fingerprint: Fingerprint, response: StoredResponse) -> None:
    """The key row with its answer, in the request's transaction (``idempotency_complete``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT idempotency_complete(%s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s)",
                       [user_id, key, fingerprint.method, fingerprint.path, fingerprint.body_hash, response.status,
                        json.dumps(seal(response.body, response.sealed), cls=DjangoJSONEncoder),
                        json.dumps(replayed_headers(response.headers)), timezone.now()])


@dataclass
class OneCall:
    """An Idempotency-Key answered in the same database call as the request's writes (the purchase's
    ``purchase_accept``): the service passes :meth:`payload` to that call, which replays a stored answer
    (``replayed``), refuses a twin or another body, or stores ``response`` with the writes."""

    user_id: int
    key: str
    fingerprint: Fingerprint
    called: bool = False  # the database saw the key (a stored answer would have been replayed)
    replayed: StoredResponse | None = None

    def payload(self, response: StoredResponse) -> dict:
        return {"lock": _lock_id(self.user_id, self.key), "key": self.key, "method": self.fingerprint.method,
                "path": self.fingerprint.path, "body_hash": self.fingerprint.body_hash, "status": response.status,
                "body": _as_json(response.body),
                "headers": replayed_headers(response.headers)}

    def replay(self, stored: dict) -> None:
        self.replayed = _stored(stored)


def _json_native(value: Any) -> bool:
    """Whether ``value`` serialises to the same JSON text as its JSON round trip: dicts with text keys, lists,
    text, numbers, booleans, null (a text or number enum too: JSON writes its value)."""
    if value is None or isinstance(value, str | int | float):
        return True
    kind = type(value)
    if kind is dict:
        return all(type(key) is str and _json_native(item) for key, item in value.items())
    if kind is list:
        return all(_json_native(item) for item in value)
    return False


def _as_json(body: Any) -> Any:
    """The answer's body as its JSON reads back (dates as text, tuples as lists...), for a payload that is only
    serialised: a body of JSON's own types as it is (the purchase's ``order_json``), without the round trip
    (issue 18): the same text either way."""
    return body if _json_native(body) else json.loads(json.dumps(body, cls=DjangoJSONEncoder))


def purge_idempotency_keys(*, older_than: timedelta) -> int:
    """Delete completed keys older than ``older_than`` (current schema); a later reuse is a new request."""
    cutoff = timezone.now() - older_than
    deleted, _ = IdempotencyKey.objects.filter(state=KeyState.COMPLETED, completed_at__lt=cutoff).delete()
    return deleted


def purge_idempotency_keys_in_all_tenants() -> dict[str, int]:
    """What the beat task calls: every tenant schema, retention from settings.IDEMPOTENCY_KEY_RETENTION_HOURS."""
    from django.conf import settings

    from tenants.runner import for_each_tenant

    retention = timedelta(hours=settings.IDEMPOTENCY_KEY_RETENTION_HOURS)
    return for_each_tenant(lambda: purge_idempotency_keys(older_than=retention))
