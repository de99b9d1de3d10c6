from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "tenant_apps.privacy"
    label = "privacy"
    verbose_name = "Data-subject rights (export, erasure) and retention"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .registry import autodiscover

        autodiscover()  # every app's personal_data.py: what it holds about a person and how to erase it
