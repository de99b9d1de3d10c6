"""SMS sent to the person (the body is stored redacted already; the number is theirs)."""

from tenant_apps.privacy.registry import MASK, register

from .models import SmsMessage


def _messages(user):
    return SmsMessage.objects.filter(to__in=[n for n in {user.phone or "", (user.phone or "").lstrip("+")} if n])


register(SmsMessage, rows=_messages, erase={"to": MASK, "body_redacted": MASK})
