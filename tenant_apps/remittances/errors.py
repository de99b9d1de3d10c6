"""Remittance errors: stable codes, 4xx; 503 when a provider we need is down."""

from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shared_apps.core.errors import ApiError, Conflict, NotFound


class CorridorUnavailable(ApiError):
    status_code = 422
    code = "corridor_unavailable"
    message = _("Sending money to this country is not offered.")


class AmountOutOfRange(ApiError):
    status_code = 422
    code = "amount_out_of_range"
    message = _("This amount cannot be sent on this corridor.")


def amount_too_small(*, destination: str, smallest_minor: int, currency: str) -> AmountOutOfRange:
    """An amount under the corridor's real minimum (the fee covered, something arriving): the error names it."""
    from countries.fields import country_name
    from countries.registry import display_minor

    amount = display_minor(smallest_minor, currency)
    return AmountOutOfRange(
        gettext("The smallest amount you can send to %(country)s is %(amount)s, fee included.") % {
            "country": country_name(destination), "amount": amount},
        fields={"amount": [gettext("At least %(amount)s.") % {"amount": amount}]})


class QuoteNotFound(NotFound):
    code = "quote_not_found"
    message = _("No such quote.")


class QuoteExpired(ApiError):
    status_code = 422
    code = "quote_expired"
    message = _("This quote has expired: ask for a new one (the rate is only held for a while).")


class QuoteUsed(Conflict):
    code = "quote_used"
    message = _("This quote was already accepted.")


class RateUnavailable(ApiError):
    status_code = 503
    code = "rate_unavailable"
    message = _("Exchange rates cannot be fetched right now; try again shortly.")


class ScreeningUnavailable(ApiError):
    status_code = 503
    code = "screening_unavailable"
    message = _("The recipient cannot be checked right now; try again shortly.")


class ReviewClosed(Conflict):
    code = "review_closed"
    message = _("This remittance is not held for review.")


class StepRefused(ApiError):
    """A receiver step asked for a remittance the hub does not hold for this tenant (forged or misrouted)."""

    status_code = 404
    code = "remittance_not_at_hub"
