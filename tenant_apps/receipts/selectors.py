"""Receipt links, read: the one a receipt's owner sees, and why a token from a URL no longer opens."""

from __future__ import annotations

from typing import Literal

from django.utils import timezone

from .models import ReceiptLink

Refusal = Literal["expired", "revoked"]


def latest_link(*, kind: str, public_id) -> ReceiptLink | None:
    """The receipt's link that is not turned off (live or past its expiry), or None when it was never shared."""
    return ReceiptLink.objects.filter(kind=kind, object_id=public_id, revoked_at__isnull=True).first()


def live_link(*, kind: str, public_id) -> ReceiptLink | None:
    """The receipt's link that still opens (neither turned off nor past its expiry), or None."""
    link = latest_link(kind=kind, public_id=public_id)
    return link if link is not None and not link_expired(link) else None


def link_expired(link: ReceiptLink, *, now=None) -> bool:
    return link.expires_at is not None and link.expires_at <= (now or timezone.now())


def link_refusal(token: str) -> Refusal | None:
    """Why a well-formed, known token no longer opens its receipt: its owner turned it off, or it expired."""
    link = ReceiptLink.objects.filter(token=token).only("revoked_at", "expires_at").first()
    if link is None:
        return None
    if link.revoked_at is not None:
        # Sharing again after the expiry turns the expired link off (at most one live link): it still says expired.
        return "expired" if link.expires_at is not None and link.expires_at <= link.revoked_at else "revoked"
    return "expired" if link_expired(link) else None
