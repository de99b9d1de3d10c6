"""The archive's batch INSERT as one JSON document (``rows.insert_json``, issue 18) writes the rows the ORM's
per-value path (``rows.insert_values``, what ``bulk_create`` sends) writes: the same values, the same order of ids,
the same truncation by the columns' casts; what it does not send that way goes through that path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from django.db import connection
from django_tenants.utils import schema_context

FIELDS = ["subject_type", "subject_id", "attempt_ref", "operation", "plugin_key", "provider_id", "sequence", "method",
          "url", "request_headers", "request_body", "status", "response_headers", "response_body", "error",
          "duration_ms", "started_at", "created_at"]


def _rows(tag: str) -> list[dict[str, Any]]:
    started = datetime(2026, 12, 7, 6, 21, 39, 123456, tzinfo=UTC)
    lagos = timezone(timedelta(hours=1))
    return [
        dict(subject_type="order", subject_id=2**40, attempt_ref=f"{tag}-1", operation="purchase", plugin_key="vtpass",
             provider_id=3, sequence=0, method="POST", url="https://api.example/pay?x=1&y=%20",
             request_headers={"api-key": "[REDACTED]", "Content-Length": "120", "nested": {"a": [1, 2.5, None, True]}},
             request_body='{"phone": "*******4567", "q": "\\"quoted\\" \\\\ back"}', status=200,
             response_headers={"Content-Type": "application/json; charset=utf-8", "X-Ünïcode": "é✓ 😀"},
             response_body="{\"code\": \"000\", \"text\": \"Sénégal — 😀 {braces} [brackets] 'quotes' %s %(x)s\"}",
             error="", duration_ms=52, started_at=started, created_at=started + timedelta(seconds=1)),
        dict(subject_type="order", subject_id=None, attempt_ref=f"{tag}-2", operation="purchase", plugin_key="vtpass",
             provider_id=None, sequence=1, method="GET", url="http://h/", request_headers={}, request_body="",
             status=None, response_headers={}, response_body="", error="x" * 70,  # longer than the column
             duration_ms=0, started_at=started.astimezone(lagos), created_at=started),
        dict(subject_type="order", subject_id=7, attempt_ref=f"{tag}-3", operation="purchase", plugin_key="vtpass",
             sequence=2, method="POST", url="http://h/\n\t\x01", request_headers={"list": ["a", "b"]},
             request_body="line\r\nbreak \u2028 sep", status=504, response_headers={"k": ""},
             response_body="null", error="ReadTimeout", duration_ms=30_000, started_at=started,
             created_at=started),  # provider_id left out: its default
    ]


def _stored(tag: str) -> list[tuple]:
    from tenant_apps.provider_archive.models import ProviderExchange

    found = ProviderExchange.objects.filter(attempt_ref__startswith=f"{tag}-").order_by("id")
    return [tuple(getattr(row, name) for name in FIELDS) for row in found]


def _ids_in_order(tag: str) -> list[str]:
    from tenant_apps.provider_archive.models import ProviderExchange

    return list(ProviderExchange.objects.filter(attempt_ref__startswith=f"{tag}-").order_by("id")
                .values_list("attempt_ref", flat=True))


def test_the_json_insert_stores_what_the_orms_values_insert_stores(db):
    from shared_apps.core import rows
    from tenant_apps.provider_archive.models import ProviderExchange

    with schema_context("ng"):
        rows.insert_values(ProviderExchange, _rows("orm"))
        count = _Counter()
        with connection.execute_wrapper(count):
            rows.insert_json(ProviderExchange, _rows("json"))
        assert count.statements == ["jsonb_array_elements"]  # one statement, the JSON path
        orm, sent = _stored("orm"), _stored("json")
        assert len(orm) == len(sent) == 3
        for before, after in zip(orm, sent, strict=True):
            assert before[3:] == after[3:] and before[:2] == after[:2]  # all but attempt_ref's tag
        assert sent[1][FIELDS.index("error")] == "x" * 60  # cut by the column's cast, as the arrays' cast cuts it
        assert _ids_in_order("json") == ["json-1", "json-2", "json-3"]
        assert sent[2][FIELDS.index("provider_id")] is None


@pytest.mark.parametrize("odd", [
    {"started_at": datetime(2026, 12, 7, 6, 0)},  # naive: the ORM warns and makes it aware
    {"sequence": True},  # a bool in an integer column
    {"request_headers": "a JSON string"},  # a JSON scalar
    {"subject_type": None},  # NULL in a NOT NULL column: the ORM path's error, not another one
])
def test_values_it_does_not_send_go_through_the_orms_path(db, odd, monkeypatch):
    from shared_apps.core import rows
    from tenant_apps.provider_archive.models import ProviderExchange

    calls = []
    original = rows.insert_values

    def counted(model, values):
        calls.append(len(values))
        return original(model, values)

    monkeypatch.setattr(rows, "insert_values", counted)
    with schema_context("ng"):
        batch = _rows("odd")
        batch[0].update(odd)
        if odd.get("subject_type", "") is None:
            with pytest.raises(Exception, match="null value"):  # the database's own error
                rows.insert_json(ProviderExchange, batch)
        else:
            with pytest.warns(RuntimeWarning) if "started_at" in odd else _nothing():
                rows.insert_json(ProviderExchange, batch)
            assert len(_stored("odd")) == 3
    assert calls == [3]


class _Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        self.statements += ["jsonb_array_elements" if "jsonb_array_elements" in sql else sql]
        return execute(sql, params, many, context)


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_a_value_is_read_as_pre_save_gives_it():
    """The JSON inserts read a field's attribute only where ``pre_save`` would return it unchanged; ``auto_now``
    fields and fields whose class computes its value (a file, a date) go through ``pre_save``."""
    from django.db import models

    from shared_apps.core.rows import _reads_attribute

    assert _reads_attribute(models.CharField(max_length=3))
    assert _reads_attribute(models.DateTimeField())
    assert _reads_attribute(models.JSONField())
    assert not _reads_attribute(models.DateTimeField(auto_now=True))
    assert not _reads_attribute(models.DateTimeField(auto_now_add=True))
    assert not _reads_attribute(models.DateField())
    assert not _reads_attribute(models.FileField())
