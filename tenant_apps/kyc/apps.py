from django.apps import AppConfig


class KycConfig(AppConfig):
    name = "tenant_apps.kyc"
    label = "kyc"
