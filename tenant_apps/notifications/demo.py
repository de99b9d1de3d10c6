"""`make run`: tell the person where the SMS outbox is (sign-up codes arrive there)."""

from __future__ import annotations

from django.conf import settings


def sms_outbox_lines() -> list[str]:
    base = settings.SMS_GATEWAY["BASE_URL"].rstrip("/")
    return [f"{base}/outbox  SMS outbox (simulator): sign-up and login codes arrive here"]
