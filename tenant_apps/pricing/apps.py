from django.apps import AppConfig


class PricingConfig(AppConfig):
    name = "tenant_apps.pricing"
    label = "pricing"

    def ready(self) -> None:
        from .versions import connect

        connect()  # cached price lists (storefronts) follow every price change
