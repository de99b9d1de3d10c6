"""Receipts: find the object a receipt is about (its owner's, or by a shared link), share and unshare it."""

from __future__ import annotations

import re
import secrets
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from shared_apps.core.errors import NotFound

from .models import ReceiptKind, ReceiptLink

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


def receipt_object(*, kind: str, public_id: Any, owner=None):
    """The order, transfer or funding ``public_id`` names (only ``owner``'s when given), or None."""
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
    return None


def receipt_share(*, owner, kind: str, public_id: Any) -> ReceiptLink:
    """The receipt's live link (made on first share; the same one afterwards). 404 for someone else's."""
    obj = receipt_object(kind=kind, public_id=public_id, owner=owner)
    if obj is None:
        raise NotFound()
    live = ReceiptLink.objects.filter(kind=kind, object_id=obj.public_id, revoked_at__isnull=True).first()
    if live is not None:
        return live
    try:
        with transaction.atomic():
            return ReceiptLink.objects.create(token=secrets.token_urlsafe(24), kind=kind, object_id=obj.public_id,
                                              owner=owner, created_at=timezone.now())
    except IntegrityError:  # shared twice at once: the other request made it
        return ReceiptLink.objects.get(kind=kind, object_id=obj.public_id, revoked_at__isnull=True)


def receipt_unshare(*, owner, kind: str, public_id: Any) -> int:
    """Turn the receipt's link off for good (a new share makes a new token)."""
    return ReceiptLink.objects.filter(owner=owner, kind=kind, object_id=public_id, revoked_at__isnull=True) \
        .update(revoked_at=timezone.now())


def receipt_by_token(token: str) -> tuple[ReceiptLink, Any] | None:
    """The live link and its object for a token from a URL, or None (malformed, unknown or revoked)."""
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        return None
    link = ReceiptLink.objects.select_related("owner").filter(token=token, revoked_at__isnull=True).first()
    if link is None:
        return None
    obj = receipt_object(kind=link.kind, public_id=link.object_id, owner=link.owner)
    if obj is None:
        return None
    ReceiptLink.objects.filter(pk=link.pk).update(views=F("views") + 1)
    return link, obj
