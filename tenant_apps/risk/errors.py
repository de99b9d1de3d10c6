"""What a refused money movement answers (the one error shape, with a stable code and a 4xx status)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import status

from shared_apps.core.errors import ApiError


class RiskBlocked(ApiError):
    """403 ``risk_blocked``: a rule blocked the movement; nothing was written (the decision is recorded)."""

    status_code = status.HTTP_403_FORBIDDEN
    code = "risk_blocked"
    message = _("This payment was declined by our security checks. Contact support if you think it is a mistake.")


class StepUpRequired(ApiError):
    """428 ``step_up_required``: prove it is you (a code sent by SMS, or the transaction PIN), then send the same
    request again with ``X-Step-Up: <challenge>``. ``error.step_up`` says what to send next."""

    status_code: int = status.HTTP_428_PRECONDITION_REQUIRED  # 429 step_up_code_limit when no code can be sent
    code = "step_up_required"
    message = _("Confirm it is you: enter the code we sent to your phone, then try again.")


class StepUpFailed(ApiError):
    code = "invalid_step_up_code"
    message = _("The code is not valid.")


class ReviewClosed(ApiError):
    status_code = status.HTTP_409_CONFLICT
    code = "review_closed"
    message = _("This movement is not waiting for a review any more.")
