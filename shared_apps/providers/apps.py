from django.apps import AppConfig


class ProvidersConfig(AppConfig):
    name = "shared_apps.providers"
    label = "providers"
