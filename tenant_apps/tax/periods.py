"""The period a tax report covers, from ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (default: this month so far)."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from shared_apps.core.errors import ApiError

from .selectors import MAX_PERIOD_DAYS


class InvalidPeriod(ApiError):
    status_code = 400
    code = "invalid_period"
    message = gettext_lazy("Give the period as from=YYYY-MM-DD and to=YYYY-MM-DD, from before to, at most 366 days.")


def parse_period(params) -> tuple[date, date]:
    today = timezone.localdate()
    raw_from, raw_to = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    try:
        date_from = date.fromisoformat(raw_from) if raw_from else today.replace(day=1)
        date_to = date.fromisoformat(raw_to) if raw_to else today
    except ValueError:
        raise InvalidPeriod(fields={"from" if raw_from else "to": [gettext("Use YYYY-MM-DD.")]}) from None
    if date_to < date_from or (date_to - date_from).days >= MAX_PERIOD_DAYS:
        raise InvalidPeriod(fields={"to": [gettext("From before to, at most 366 days.")]})
    return date_from, date_to
