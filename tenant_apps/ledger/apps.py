from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "tenant_apps.ledger"
    label = "ledger"
