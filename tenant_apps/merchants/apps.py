from django.apps import AppConfig


class MerchantsConfig(AppConfig):
    name = "tenant_apps.merchants"
    label = "merchants"
