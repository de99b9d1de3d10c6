"""Scheduled purchases: the recipient numbers are the person's."""

from tenant_apps.privacy.registry import MASK, register

from .models import Subscription

register(Subscription, owners=("user",), erase={"recipient_phone": MASK, "customer_number": MASK})
