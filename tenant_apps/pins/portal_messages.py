"""Strings the PIN added to portal files (navigation, the agent's cash-in page), kept in this app's catalogue so
the portal's stays untouched: ``makemessages`` run in tenant_apps/pins finds them here."""

from django.utils.translation import gettext_noop

PORTAL_MESSAGES = (
    gettext_noop("PIN"),
    gettext_noop("Hand your device to the customer: they type their transaction PIN."),
    gettext_noop("Customer's transaction PIN"),
)
