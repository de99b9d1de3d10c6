"""The audit trail: exported (events by or about the person); erasure pseudonymises its personal columns
through the trigger's one allowed path (``audit_pseudonymise``), the facts stay."""

from django.db.models import Q

from tenant_apps.privacy.registry import register

from .models import AuditEvent
from .services import audit_pseudonymise


def _events(user):
    return AuditEvent.objects.filter(Q(actor_id=user.public_id) | Q(subject_id__in=[str(user.public_id),
                                                                                    str(user.pk)]))


def _erase(user, identity) -> int:
    return audit_pseudonymise(actor_public_id=user.public_id, replacement_email=identity.replacement_email,
                              values=identity.values)


register(AuditEvent, rows=_events, eraser=_erase)
