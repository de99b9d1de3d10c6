from django.apps import AppConfig


class RemittancesConfig(AppConfig):
    name = "tenant_apps.remittances"
    label = "remittances"
    verbose_name = "Cross-border remittances"
