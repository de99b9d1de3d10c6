from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "shared_apps.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # pgtrigger (loaded before this app) swaps the migration autodetector of
        # Django's `migrate` and `makemigrations`; django-tenants' `migrate`
        # (migrate_schemas) must use the same class or check commands.E001 fails.
        from django.core.management.commands import makemigrations
        from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand

        MigrateSchemasCommand.autodetector = makemigrations.Command.autodetector

        # Registers the business metrics and the Celery worker's metrics exporter (worker_ready).
        # Read by every request that prices or validates a phone: in the request's one MGET.
        from countries.overrides import VERSION_KEY as COUNTRY_OVERRIDES_VERSION

        from . import metrics  # noqa: F401
        from .redis_cache import snapshot_keys

        snapshot_keys(COUNTRY_OVERRIDES_VERSION, shared=True)
