"""Reseller onboarding, agent trees, commissions, reseller API keys."""
from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "tenant_apps.agents"
    label = "agents"

    def ready(self) -> None:
        # The purchase path announces settlements and reversals; connect if it is installed.
        try:
            from tenant_apps.orders.signals import order_reversed, order_settled
        except ImportError:
            return
        from .sales import connect_order_signals

        connect_order_signals(settled=order_settled, reversed_=order_reversed)
