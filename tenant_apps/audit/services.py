"""Writing the audit trail (the only write there is: append)."""

from __future__ import annotations

from typing import Any

from django.db import connection

from shared_apps.core.context import current_request_id

from .models import AuditEvent


def client_ip(request: Any) -> str | None:
    """The peer address. Proxies are trusted only through the web server's REMOTE_ADDR rewrite."""
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(*, action: str, request: Any = None, actor: Any = None, subject_type: str = "",
                 subject_id: str = "", details: dict[str, Any] | None = None,
                 actor_email: str = "") -> AuditEvent:
    """Append one event. ``actor`` is the user acting (None for anonymous attempts)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:255] if request is not None else ""
    return AuditEvent.objects.create(
        action=action,
        tenant=getattr(connection, "schema_name", "public") or "public",
        actor_id=getattr(actor, "public_id", None),
        actor_email=(getattr(actor, "email", "") or actor_email)[:254],
        actor_role=getattr(actor, "role", "") or "",
        subject_type=subject_type,
        subject_id=str(subject_id)[:64],
        ip_address=client_ip(request),
        user_agent=user_agent,
        request_id=current_request_id() if current_request_id() != "-" else "",
        details=details or {},
    )


def audit_pseudonymise(*, actor_public_id: Any, email: str, replacement_email: str, values: list[str]) -> int:
    """The one allowed rewrite of the trail: the personal columns of one person's events (an erasure).

    Rows where the person acted (by id, or anonymously under their e-mail: failed logins) lose their e-mail,
    IP and user agent; every row whose ``details`` mention one of ``values`` (phone, e-mail) gets them
    replaced. Must run inside the erasure's transaction: the ``SET LOCAL`` switch that the trigger checks
    ends with it.
    """
    from django.db import transaction
    from django.db.models import Q, TextField
    from django.db.models.functions import Cast

    from tenant_apps.privacy.scrub import needles_of, scrub

    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_pseudonymise must run inside a transaction")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL nexustop.audit_pseudonymise = 'on'")
    try:
        acted = Q(actor_id=actor_public_id)
        if email:
            acted |= Q(actor_id__isnull=True, actor_email__iexact=email)
        changed = AuditEvent.objects.filter(acted).update(actor_email=replacement_email[:254], ip_address=None,
                                                          user_agent="")
        needles = needles_of(values)
        mentions = Q()
        for needle in needles:
            mentions |= Q(details_text__icontains=needle)
        candidates = AuditEvent.objects.annotate(details_text=Cast("details", TextField())).filter(mentions) \
            if needles else AuditEvent.objects.none()
        for event in candidates.only("pk", "details").iterator():
            cleaned = scrub(event.details, values)
            if cleaned != event.details:
                AuditEvent.objects.filter(pk=event.pk).update(details=cleaned)
                changed += 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL nexustop.audit_pseudonymise = 'off'")
    return changed
