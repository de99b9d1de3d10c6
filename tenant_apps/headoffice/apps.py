from django.apps import AppConfig


class HeadOfficeConfig(AppConfig):
    """The head-office console: server-rendered pages on the platform's own (public) domain."""

    name = "tenant_apps.headoffice"
    label = "headoffice"
    verbose_name = "Head-office console"
