from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "tenant_apps.risk"
    label = "risk"
    verbose_name = "Risk rules, decisions and device signals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .engine import rules_changed
        from .models import RiskRule

        post_save.connect(rules_changed, sender=RiskRule, dispatch_uid="risk_rules_changed_save")
        post_delete.connect(rules_changed, sender=RiskRule, dispatch_uid="risk_rules_changed_delete")
