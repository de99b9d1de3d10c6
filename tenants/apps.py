from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"

    def ready(self) -> None:
        # Registers ``migrate_schemas --executor=pending`` (django-tenants looks executors up by subclass).
        from . import migration_executors  # noqa: F401
