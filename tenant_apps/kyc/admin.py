from django.contrib import admin

from .models import KycSubmission


@admin.register(KycSubmission)
class KycSubmissionAdmin(admin.ModelAdmin):
    """Numbers only masked; decisions go through the API (audited), not the admin."""

    list_display = ("created_at", "user", "scheme", "number_masked", "status", "verification_status")
    list_filter = ("status", "scheme", "verification_status")
    fields = ("user", "scheme", "number_masked", "status", "verification_status", "verification_reference",
              "reviewed_by", "reviewed_at", "review_note", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
