"""Head-office administration of tenants (public domain only)."""

from django.contrib import admin
from django_tenants.admin import TenantAdminMixin

from .models import Domain, Tenant


class DomainInline(admin.TabularInline):
    model = Domain
    extra = 0


@admin.register(Tenant)
class TenantAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ("schema_name", "name", "kind", "country", "status", "parent", "created_at")
    list_filter = ("kind", "country", "status")
    search_fields = ("schema_name", "name", "domains__domain")
    readonly_fields = ("schema_name", "created_at", "updated_at", "suspended_at")
    inlines = [DomainInline]
    actions = ["suspend", "reactivate"]

    def has_add_permission(self, request):
        # Provisioning creates the schema and first admin: use `create_tenant`.
        return False

    @admin.action(description="Suspend selected tenants")
    def suspend(self, request, queryset):
        from .services import tenant_suspend

        for tenant in queryset:
            tenant_suspend(tenant=tenant, reason=f"Suspended by {request.user} from the admin")

    @admin.action(description="Reactivate selected tenants")
    def reactivate(self, request, queryset):
        from .services import tenant_reactivate

        for tenant in queryset:
            tenant_reactivate(tenant=tenant)
