"""One page of a list endpoint's rows, typed.

DRF's ``paginate_queryset`` returns ``None`` when the paginator has no page size (pagination off); every
paginator of this API has one, so a list view asks :func:`page_of` for its rows and gets a list.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db.models import QuerySet
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.views import APIView

Row = TypeVar("Row")


def page_of(paginator: BasePagination, rows: QuerySet[Any, Row] | Sequence[Row], request: Request,
            view: APIView) -> list[Row]:
    """The rows of the page ``request`` asks for (the paginator keeps the page for its response)."""
    page = paginator.paginate_queryset(rows, request, view=view)
    if page is None:
        raise ImproperlyConfigured(f"{type(paginator).__name__} has no page size: {type(view).__name__} pages")
    return page
