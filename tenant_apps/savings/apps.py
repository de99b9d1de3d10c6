from django.apps import AppConfig


class SavingsConfig(AppConfig):
    name = "tenant_apps.savings"
    label = "savings"
