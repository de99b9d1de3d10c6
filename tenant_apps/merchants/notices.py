"""The owner's SMS for a payment received: which payments are texted.

Every payment used to text the owner, whatever its amount and however many: a customer paying a shop one minor
unit (NGN 0.01, 1 F CFA) again and again made one SMS each at the tenant's cost (an SMS costs a hundred times such
a payment) and kept the owner's phone ringing. Now a payment is texted when it reaches the floor of its currency
(``MERCHANT_PAYMENT_SMS_FLOOR``: about the price of an SMS) and the business had fewer than
``MERCHANT_PAYMENT_SMS_PER_HOUR`` payments from that floor up in the hour before. The others are not lost: each
is in the business's payments, its statement and the daily settlement, as every payment is.

The decision is made inside the payment's transaction, after its ledger entry: that entry credits the business's
takings account under its row lock (rank ``ledger_account``), so payments to one business are counted one after
the other and a burst of them at once cannot all pass the hourly bound.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from shared_apps.core.enqueue import enqueue
from tenant_apps.ledger.currency import to_minor

from .models import MerchantPayment


def sms_floor_minor(currency: str) -> int:
    """The smallest payment texted, in minor units of ``currency`` (major units per currency, ``*`` otherwise)."""
    table = settings.MERCHANT_PAYMENT_SMS_FLOOR
    return to_minor(str(table.get(currency, table["*"])), currency)


def payment_texted(payment: MerchantPayment) -> bool:
    """Whether the owner gets an SMS for ``payment`` (call it in the payment's transaction, after its entry)."""
    if not settings.MERCHANT_SMS_NOTIFICATIONS or not payment.merchant.owner.phone:
        return False
    floor = sms_floor_minor(payment.currency)
    if payment.amount_minor < floor:
        return False
    since = payment.created_at - timedelta(hours=1)
    earlier = MerchantPayment.objects.filter(merchant_id=payment.merchant_id, amount_minor__gte=floor,
                                             created_at__gt=since).exclude(pk=payment.pk).count()
    return earlier < settings.MERCHANT_PAYMENT_SMS_PER_HOUR


def notify_payment(payment: MerchantPayment) -> None:
    """SMS to the owner after commit (a task), in the owner's language, when :func:`payment_texted` says so;
    never sent inside the money transaction."""
    if not payment_texted(payment):
        return
    from tenant_apps.notifications.messages import render_message

    owner = payment.merchant.owner
    text = render_message(template="merchant_payment_received", user=owner, context={
        "amount": payment.amount_minor, "currency": payment.currency,
        "merchant": payment.merchant.business_name}).text
    enqueue("wallet.send_sms", owner.phone, text, "merchant", on_commit=True)


__all__ = ["notify_payment", "payment_texted", "sms_floor_minor"]
