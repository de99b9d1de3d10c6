from __future__ import annotations

from rest_framework import serializers

from .models import AuditEvent


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = ["id", "occurred_at", "action", "tenant", "actor_id", "actor_email", "actor_role",
                  "subject_type", "subject_id", "ip_address", "request_id", "details"]
