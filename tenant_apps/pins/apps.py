from django.apps import AppConfig


class PinsConfig(AppConfig):
    name = "tenant_apps.pins"
    label = "pins"
    verbose_name = "Transaction PIN"
    default_auto_field = "django.db.models.BigAutoField"
