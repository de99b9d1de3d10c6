from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "tenant_apps.subscriptions"
    label = "subscriptions"
