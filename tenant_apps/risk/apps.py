from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "tenant_apps.risk"
    label = "risk"
    verbose_name = "Risk rules, decisions and device signals"
    default_auto_field = "django.db.models.BigAutoField"
