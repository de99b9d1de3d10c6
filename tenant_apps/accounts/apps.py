from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tenant_apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"
