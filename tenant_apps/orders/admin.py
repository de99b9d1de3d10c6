"""Read-only admin views: orders with their transitions and attempts (the manual-review queue is a filter)."""

from django.contrib import admin

from .models import Order, OrderAttempt, OrderTransition


class TransitionInline(admin.TabularInline):
    model = OrderTransition
    extra = 0
    can_delete = False
    readonly_fields = ("from_status", "to_status", "reason", "source", "created_at")

    def has_add_permission(self, request, obj=None):
        return False


class AttemptInline(admin.TabularInline):
    model = OrderAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "provider_id", "plugin_key", "request_id", "status", "reason", "provider_reference",
                       "submit_count", "created_at", "answered_at")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("public_id", "status", "product_name", "recipient_phone", "price_minor", "currency",
                    "needs_review", "created_at")
    list_filter = ("status", "needs_review", "product_type")
    search_fields = ("public_id", "recipient_phone", "provider_reference")
    inlines = [AttemptInline, TransitionInline]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
