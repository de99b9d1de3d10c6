from __future__ import annotations

from django import template

from tenant_apps.ledger.entry_types import entry_type_label as _entry_type_label
from tenant_apps.ledger.entry_types import statement_label as _statement_label

register = template.Library()


@register.filter
def entry_type_label(code: str) -> str:
    """``{{ line.entry_type|entry_type_label }}``: the entry type in words (tenant_apps.ledger.entry_types)."""
    return _entry_type_label(code or "")


@register.filter
def statement_label(line) -> str:
    """``{{ line|statement_label }}``: a statement line in words, what its hold was for where the reference says it
    (tenant_apps.ledger.entry_types.statement_label)."""
    return _statement_label(getattr(line, "entry_type", "") or "", getattr(line, "reference", "") or "")
