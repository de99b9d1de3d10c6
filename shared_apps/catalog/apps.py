from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "shared_apps.catalog"
    label = "catalog"

    def ready(self) -> None:
        from .versions import connect

        connect()  # cached catalogue views (storefronts) follow product and provider changes
