"""USSD channel settings of the tenant (sessions live in Redis, a few minutes)."""

from tenant_apps.privacy.registry import no_personal_data

from .models import UssdChannel

no_personal_data(UssdChannel, "the tenant's USSD service code and settings")
