from django.apps import AppConfig


class CashConfig(AppConfig):
    name = "tenant_apps.cash"
    label = "cash"
    verbose_name = "Agent cash-in and cash-out"
    default_auto_field = "django.db.models.BigAutoField"
