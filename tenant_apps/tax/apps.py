from django.apps import AppConfig


class TaxConfig(AppConfig):
    name = "tenant_apps.tax"
    label = "tax"
    verbose_name = "Tax reports"
