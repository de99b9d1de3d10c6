"""English messages of the tenant services shown on console forms (see tenant_apps/portal/service_messages.py)."""

from django.utils.translation import gettext_noop

SERVICE_MESSAGES = (
    gettext_noop("A tenant needs a name."),
    gettext_noop("A reseller brand needs a parent country operation."),
    gettext_noop("A reseller brand's parent must be a country operation."),
    gettext_noop("A country operation has no parent."),
    gettext_noop("The first admin needs a valid email address."),
    gettext_noop("Use a #RRGGBB colour."),
    gettext_noop("Unsupported language."),
)
