from __future__ import annotations

from django import template

from shared_apps.catalog.models import product_type_label as _product_type_label

register = template.Library()


@register.filter
def product_type_label(code: str) -> str:
    """``{{ rule.product_type|product_type_label }}``: the product type in words in the page's language."""
    return _product_type_label(code) if code else ""
