"""The wallet's SMS to its users (funded, transfer sent or received, payout outcome).

Sent after commit, through the ``wallet.send_sms`` task (never inside the money transaction); the text is
the tenant's branded template in the user's language (tenant_apps.notifications.messages), rendered now.
"""

from __future__ import annotations

from django.conf import settings

from shared_apps.core.enqueue import enqueue


def notify_user(user, template: str, context: dict) -> None:
    if not getattr(settings, "WALLET_SMS_NOTIFICATIONS", True) or not user.phone:
        return
    from tenant_apps.notifications.messages import render_message

    text = render_message(template=template, context=context, user=user).text
    enqueue("wallet.send_sms", user.phone, text, "wallet", on_commit=True)
