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
