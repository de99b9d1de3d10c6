"""Run a piece of work once in every tenant schema (what periodic tasks do)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django_tenants.utils import schema_context

from .selectors import tenant_list

T = TypeVar("T")


def for_each_tenant(work: Callable[[], T]) -> dict[str, T]:
    """Call ``work()`` inside each tenant's schema; returns ``{schema: result}``."""
    results: dict[str, T] = {}
    for schema in tenant_list().values_list("schema_name", flat=True):
        with schema_context(schema):
            results[schema] = work()
    return results
