from django.apps import AppConfig


class UssdConfig(AppConfig):
    name = "tenant_apps.ussd"
    label = "ussd"
    verbose_name = "USSD channel"
    default_auto_field = "django.db.models.BigAutoField"
