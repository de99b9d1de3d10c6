from django.apps import AppConfig


class ProviderArchiveConfig(AppConfig):
    name = "tenant_apps.provider_archive"
    label = "provider_archive"
    verbose_name = "Provider request/response archive"
    default_auto_field = "django.db.models.BigAutoField"
