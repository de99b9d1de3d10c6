from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Server-rendered pages of every tenant domain: customer portal and operator back office."""

    name = "tenant_apps.portal"
    label = "portal"
    verbose_name = "Tenant web portal"
