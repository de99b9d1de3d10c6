from __future__ import annotations

from django import template

from tenant_apps.ledger.entry_types import entry_type_label as _entry_type_label

register = template.Library()


@register.filter
def entry_type_label(code: str) -> str:
    """``{{ line.entry_type|entry_type_label }}``: the entry type in words (tenant_apps.ledger.entry_types)."""
    return _entry_type_label(code or "")
