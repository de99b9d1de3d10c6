"""Bearer secrets inside stored Idempotency-Key answers are encrypted at rest (tenant_apps.idempotency.sealing)."""

from __future__ import annotations

import json

from tenant_apps.idempotency.sealing import MARK, seal, unseal


def test_sealed_fields_are_unreadable_at_rest_and_open_again_after_a_key_rotation(settings):
    body = {"id": "b0d1", "code": "48213377", "amount": "3000.00"}
    kept = seal(body, ("code", "absent"))
    assert "48213377" not in json.dumps(kept) and set(kept["code"]) == {MARK}
    assert kept["id"] == "b0d1" and kept["amount"] == "3000.00"
    assert unseal(json.loads(json.dumps(kept))) == body
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "r" * 60, [old]  # rotated: the fallback still opens it
    assert unseal(kept) == body
    settings.SECRET_KEY_FALLBACKS = []  # rotated out: the value is gone, never an error
    assert unseal(kept) == {**body, "code": None}


def test_answers_without_sealed_fields_are_kept_as_they_are():
    for body in ({"status": "held"}, [1, 2], None, "text", {"nested": {"code": "1234"}}):
        assert seal(body, ()) == body and unseal(body) == body
