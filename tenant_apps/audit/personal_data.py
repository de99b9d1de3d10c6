"""The audit trail: exported (events by or about the person); erasure pseudonymises its personal columns
through the trigger's one allowed path (``audit_pseudonymise``), the facts stay."""

from django.db.models import Q

from tenant_apps.privacy.registry import register

from .models import AuditEvent
from .services import audit_pseudonymise


def _events(user):
    """Events by the person, about the person (subjects name a user by public id), and anonymous attempts
    under their e-mail (failed logins)."""
    condition = Q(actor_id=user.public_id) | Q(subject_type="user", subject_id=str(user.public_id))
    if user.email:
        condition |= Q(actor_id__isnull=True, actor_email__iexact=user.email)
    return AuditEvent.objects.filter(condition)


def _erase(user, identity) -> int:
    return audit_pseudonymise(actor_public_id=user.public_id, email=user.email,
                              replacement_email=identity.replacement_email, values=identity.values)


register(AuditEvent, rows=_events, eraser=_erase)
