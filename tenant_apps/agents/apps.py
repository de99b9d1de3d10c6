from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "tenant_apps.agents"
    label = "agents"
