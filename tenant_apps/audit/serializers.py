from __future__ import annotations

from rest_framework import serializers

from .models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    # Open-ended: AuditAction names the platform's own actions, and apps record their own (order_staff_resolved,
    # remittance_held, ...); documenting the enum would make every such row a schema violation.
    action = serializers.CharField(help_text="What happened, e.g. login_succeeded, wallet_adjusted, remittance_held.")

    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "action", "tenant", "actor_id", "actor_email", "actor_role",
                  "subject_type", "subject_id", "ip_address", "request_id", "details"]
