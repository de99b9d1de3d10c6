"""Reseller onboarding, agent trees, commissions, reseller API keys."""
from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "tenant_apps.agents"
    label = "agents"
    # The purchase path calls tenant_apps.agents.sales inside its own transactions (no signal receivers).
