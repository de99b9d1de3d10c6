from django.apps import AppConfig


class ReceiptsConfig(AppConfig):
    name = "tenant_apps.receipts"
    label = "receipts"
    verbose_name = "Receipts (shareable links and PDFs)"
    default_auto_field = "django.db.models.BigAutoField"
