from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from shared_apps.core.errors import ApiError, Conflict


class IdempotencyKeyRequired(ApiError):
    code = "idempotency_key_required"
    message = _("This request moves money: send an Idempotency-Key header (a unique value per operation).")


class IdempotencyKeyInvalid(ApiError):
    code = "idempotency_key_invalid"
    message = _("The Idempotency-Key header must be 1 to 255 printable characters.")


class IdempotencyKeyReused(ApiError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    code = "idempotency_key_reused"
    message = _("This Idempotency-Key was already used for a different request.")


class IdempotencyInFlight(Conflict):
    code = "idempotency_in_flight"
    message = _("A request with this Idempotency-Key is still being processed; retry shortly.")
