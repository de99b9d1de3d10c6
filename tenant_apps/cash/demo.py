"""`make run`: a cash agent with a float in every demo tenant, and where to send a bank transfer. Idempotent."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from tenants.models import Tenant


def seed_demo_cash() -> list[str]:
    from countries.registry import get_adapter
    from provider_plugins.simulate import demo_ports
    from tenant_apps.accounts.models import User
    from tenant_apps.agents.models import Agent
    from tenant_apps.agents.services import add_agent
    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tenants.demo import demo_password

    password = demo_password()
    port = getattr(settings, "DEMO_WEB_PORT", 8000)

    lines = []
    for tenant in Tenant.objects.exclude(schema_name="public").order_by("schema_name"):
        domain = tenant.domains.filter(is_primary=True).values_list("domain", flat=True).first()
        if not domain:
            continue
        email = f"cash-agent@{domain}"
        adapter = get_adapter(tenant.country)
        with schema_context(tenant.schema_name):
            agent = User.objects.filter(email=email).first()
            if agent is None:
                agent = User.objects.create_user(email=email, password=password, role="agent",
                                                 phone=f"+{adapter.calling_code}900000{tenant.pk:03d}"[:16],
                                                 phone_verified_at=timezone.now(), email_verified_at=timezone.now())
            if not Agent.objects.filter(user=agent).exists():
                add_agent(user=agent, parent=None)
            fund_wallet(wallet=wallet_for(user=agent), amount=1_000_000 * 10 ** adapter.minor_unit,
                        reference=f"demo-agent-float:{agent.pk}")  # posts once
        lines.append(f"http://{domain}:{port}/agent/cash-in  cash agent  {email} / {password} "
                     f"(float 1,000,000 {adapter.currency}; customers withdraw at /wallet/withdraw)")
    paystack = demo_ports(getattr(settings, "PROVIDER_SIMULATOR_PORTS", None))["paystack"]
    lines.append(f"http://127.0.0.1:{paystack}/_simulator/bank  send a bank transfer to a dedicated account number "
                 "(NG wallet page: POST /api/wallet/virtual-account first)")
    return lines
