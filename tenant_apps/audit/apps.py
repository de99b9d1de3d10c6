from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "tenant_apps.audit"
    label = "audit"
