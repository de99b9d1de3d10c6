"""Shareable receipt links: deleted on erasure (a shared link must stop showing the person's receipt)."""

from tenant_apps.privacy.registry import register

from .models import ReceiptLink

register(ReceiptLink, owners=("owner",), delete=True, exclude=("token",))
