from django.apps import AppConfig


class KycConfig(AppConfig):
    name = "tenant_apps.kyc"
    label = "kyc"

    def ready(self) -> None:
        from . import checks  # noqa: F401 - registers the deployment check
