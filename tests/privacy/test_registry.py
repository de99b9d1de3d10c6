"""Every tenant model is in the privacy registry: registered (found from the person, exported, erased) or
declared as holding no personal data. A new app's table cannot be forgotten."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings


def _tenant_models():
    names = {app for app in settings.TENANT_APPS if app.startswith("tenant_apps.")}
    in_tenant_schemas = set(settings.TENANT_APPS) - {"django.contrib.auth"}
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    for config in apps.get_app_configs():
        for model in config.get_models():
            points_at_user = any(f.is_relation and f.related_model is user_model for f in model._meta.concrete_fields)
            if config.name in names or (points_at_user and config.name in in_tenant_schemas):
                yield model


def test_every_tenant_model_is_registered_or_declared_without_personal_data():
    from tenant_apps.privacy.registry import declared_without_personal_data, registered

    known = {entry.model for entry in registered()} | set(declared_without_personal_data())
    missing = sorted(f"{m._meta.app_label}.{m.__name__}" for m in _tenant_models() if m not in known)
    assert missing == [], f"add these to the app's personal_data.py: {missing}"


def test_personal_looking_columns_of_registered_models_are_erased_or_excluded():
    """A registered table whose column is named like personal data must say what erasure does with it."""
    import re

    from tenant_apps.privacy.registry import registered

    personal = re.compile(r"phone|email|(^|_)name$|address|msisdn|account_number|(^|_)ip$|user_agent|device_hash")
    kept_on_purpose = {"agents.ApiKey.name", "agents.WebhookSubscription.name", "ledger.Account.name",
                       "orders.Order.product_name", "subscriptions.Subscription.product_name",
                       "bulk.BulkRow.product_name", "audit.AuditEvent.actor_email", "audit.AuditEvent.ip_address",
                       "audit.AuditEvent.user_agent", "kyc.KycDocument.file", "accounts.User.phone_verified_at",
                       "agents.ResellerApplication.company_name", "agents.ResellerApplication.company_address",
                       "risk.RiskDecision.rule_name", "wallet.VirtualAccount.bank_name"}
    unhandled = []
    for entry in registered():
        if entry.delete or entry.eraser is not None:
            continue
        for field in entry.model._meta.concrete_fields:
            key = f"{entry.table}.{field.name}"
            if personal.search(field.name) and field.name not in entry.erase and field.name not in entry.exclude \
                    and key not in kept_on_purpose:
                unhandled.append(key)
    assert unhandled == [], unhandled


def test_every_country_states_its_retention_periods(db):
    from countries.registry import all_adapters

    for adapter in all_adapters():
        retention = adapter.retention
        assert all(isinstance(v, int) and 1 <= v <= 20 for v in (retention.transactions, retention.kyc,
                                                                  retention.provider_archive)), adapter.code
    by_code = {adapter.code: adapter.retention for adapter in all_adapters()}
    assert (by_code["NG"].transactions, by_code["GH"].transactions, by_code["SN"].transactions) == (5, 5, 10)
    assert all(by_code[code].basis for code in ("NG", "GH", "SN"))
