from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "tenant_apps.orders"
    label = "orders"
