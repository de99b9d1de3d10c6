"""Read-only admin list of subscriptions (support looks up why one paused)."""

from django.contrib import admin

from .models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ("public_id", "product_name", "frequency", "recipient_phone", "status", "paused_reason",
                    "next_run_at", "runs_count")
    list_filter = ("status", "frequency")
    search_fields = ("public_id", "recipient_phone")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False
