from django.apps import AppConfig


class RemittanceHubConfig(AppConfig):
    name = "shared_apps.remittance_hub"
    label = "remittance_hub"
    verbose_name = "Remittance hub (public schema)"
