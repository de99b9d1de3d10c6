from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"

    def ready(self) -> None:
        # Registers ``migrate_schemas --executor=pending`` (django-tenants looks executors up by subclass).
        from django.db.models.signals import post_delete, post_save

        from . import migration_executors  # noqa: F401
        from .middleware import clear_routing_cache
        from .models import Domain, Tenant

        for model in (Tenant, Domain):
            post_save.connect(clear_routing_cache, sender=model, dispatch_uid=f"routing-cache-{model.__name__}-save")
            post_delete.connect(clear_routing_cache, sender=model, dispatch_uid=f"routing-cache-{model.__name__}-del")
