"""The fuzz engine reads every operation of the schema or says why it cannot (nexustop_dev.fuzz)."""

from __future__ import annotations

from typing import Any

import pytest
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.result import Err, Ok

from nexustop_dev.fuzz import operation_of


def test_a_readable_operation_is_fuzzed():
    operation: Any = object()  # a stand-in APIOperation
    assert operation_of(Ok(operation)) is operation


def test_an_unreadable_operation_stops_the_run_with_its_schema_error():
    # Before: ``result.ok()`` on schemathesis' Err raised AttributeError, hiding which operation was broken.
    with pytest.raises(InvalidSchema, match="no responses for GET /api/broken"):
        operation_of(Err(InvalidSchema("no responses for GET /api/broken")))
