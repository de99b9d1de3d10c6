from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the table is append-only (a database trigger refuses changes anyway)."""

    list_display = ("occurred_at", "action", "actor_email", "actor_role", "subject_type", "subject_id", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_email", "subject_id", "request_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
