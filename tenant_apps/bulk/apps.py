from django.apps import AppConfig


class BulkConfig(AppConfig):
    name = "tenant_apps.bulk"
    label = "bulk"
    verbose_name = "Bulk top-ups"
    default_auto_field = "django.db.models.BigAutoField"
