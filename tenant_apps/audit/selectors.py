"""Reading the audit trail."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import AuditEvent


def audit_events(*, action: str = "", actor_id: str = "", subject_id: str = "") -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if action:
        events = events.filter(action=action)
    if actor_id:
        events = events.filter(actor_id=actor_id)
    if subject_id:
        events = events.filter(subject_id=subject_id)
    return events
