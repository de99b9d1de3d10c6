"""Receipts: find the object a receipt is about (its owner's, or by a shared link), share and unshare it.

A link expires ``RECEIPT_LINK_TTL_DAYS`` after it is made (fixed then); an expired link refuses like a revoked
one, and sharing the receipt again turns it off and makes a new token."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shared_apps.core.errors import NotFound

from .models import ReceiptKind, ReceiptLink
from .selectors import link_expired

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def receipt_object(*, kind: str, public_id: Any, owner=None):
    """The order, transfer, funding or remittance (its sender's) ``public_id`` names (only ``owner``'s when
    given), or None."""
    try:
        public_id = uuid.UUID(str(public_id))
    except (TypeError, ValueError):
        return None
    if kind == ReceiptKind.ORDER:
        from tenant_apps.orders.models import Order

        orders = Order.objects.select_related("user").filter(public_id=public_id)
        return (orders.filter(user=owner) if owner is not None else orders).first()
    if kind == ReceiptKind.TRANSFER:
        from tenant_apps.wallet.models import Transfer

        transfers = Transfer.objects.select_related("sender", "recipient_user").filter(public_id=public_id)
        return (transfers.filter(sender=owner) if owner is not None else transfers).first()
    if kind == ReceiptKind.FUNDING:
        from tenant_apps.wallet.models import FundingIntent, FundingPurpose

        intents = FundingIntent.objects.select_related("user").filter(public_id=public_id,
                                                                        purpose=FundingPurpose.WALLET)
        return (intents.filter(user=owner) if owner is not None else intents).first()
    if kind == ReceiptKind.REMITTANCE:
        from tenant_apps.remittances.models import Remittance

        sent = Remittance.objects.select_related("sender").filter(public_id=public_id)
        return (sent.filter(sender=owner) if owner is not None else sent).first()
    return None


def receipt_share(*, owner, kind: str, public_id: Any) -> tuple[ReceiptLink, bool]:
    """The receipt's live link and whether this call made it (made on first share, and again once the last one
    expired; the same one in between). 404 for someone else's receipt."""
    obj = receipt_object(kind=kind, public_id=public_id, owner=owner)
    if obj is None:
        raise NotFound()
    live = ReceiptLink.objects.filter(kind=kind, object_id=obj.public_id, revoked_at__isnull=True).first()
    now = timezone.now()
    if live is not None and not link_expired(live, now=now):
        return live, False
    try:
        with transaction.atomic():
            if live is not None:  # expired: off for good, so the new link is the receipt's one live link
                ReceiptLink.objects.filter(pk=live.pk, revoked_at__isnull=True).update(revoked_at=now)
            link = ReceiptLink.objects.create(
                token=secrets.token_urlsafe(24), kind=kind, object_id=obj.public_id, owner=owner, created_at=now,
                expires_at=now + timedelta(days=settings.RECEIPT_LINK_TTL_DAYS))
            return link, True
    except IntegrityError:  # shared twice at once: the other request made it
        return ReceiptLink.objects.get(kind=kind, object_id=obj.public_id, revoked_at__isnull=True), False


def receipt_unshare(*, owner, kind: str, public_id: Any) -> int:
    """Turn the receipt's link off for good (a new share makes a new token)."""
    return ReceiptLink.objects.filter(owner=owner, kind=kind, object_id=public_id, revoked_at__isnull=True) \
        .update(revoked_at=timezone.now())


def receipt_by_token(token: str) -> tuple[ReceiptLink, Any] | None:
    """The live link and its object for a token from a URL, or None (malformed, unknown, revoked or expired)."""
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        return None
    link = ReceiptLink.objects.select_related("owner").filter(token=token, revoked_at__isnull=True).first()
    if link is None or link_expired(link):
        return None
    obj = receipt_object(kind=link.kind, public_id=link.object_id, owner=link.owner)
    if obj is None:
        return None
    ReceiptLink.objects.filter(pk=link.pk).update(views=F("views") + 1)
    return link, obj
