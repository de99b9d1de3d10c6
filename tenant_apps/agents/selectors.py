"""Reads for agents, commissions and resellers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, Sum

from .models import Agent, CommissionPosting, CommissionStatus


def agent_for_user(user) -> Agent | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Agent.objects.filter(user=user).first()


def agent_chain(*, user) -> list[Agent]:
    """The selling agent, then its parent, grandparent... (level 1, 2, 3...)."""
    agent = Agent.objects.filter(user=user, is_active=True).first()
    if agent is None:
        return []
    ids = [int(part) for part in agent.path.strip("/").split("/") if part]
    by_id = {a.pk: a for a in Agent.objects.filter(pk__in=ids)}
    return [by_id[pk] for pk in reversed(ids) if pk in by_id]


def agent_subtree(*, agent: Agent):
    """The agent and everyone below it."""
    return Agent.objects.filter(path__startswith=agent.path)


def commission_report(*, agents=None, date_from: datetime | None = None, date_to: datetime | None = None) -> list[dict]:
    """Per agent and level: earned (posted), clawed back, net."""
    rows = CommissionPosting.objects.all()
    if agents is not None:
        rows = rows.filter(agent__in=agents)
    if date_from:
        rows = rows.filter(created_at__gte=date_from)
    if date_to:
        rows = rows.filter(created_at__lt=date_to)
    grouped = (rows.values("agent__public_id", "agent__user__email", "level", "currency")
               .annotate(sales=Count("id"),
                         earned=Sum("amount_minor"),
                         clawed_back=Sum("amount_minor", filter=Q(status=CommissionStatus.CLAWED_BACK)))
               .order_by("agent__user__email", "level"))
    return [{"agent": str(row["agent__public_id"]), "email": row["agent__user__email"], "level": row["level"],
             "currency": row["currency"], "sales": row["sales"], "earned_minor": row["earned"] or 0,
             "clawed_back_minor": row["clawed_back"] or 0,
             "net_minor": (row["earned"] or 0) - (row["clawed_back"] or 0)} for row in grouped]


@dataclass(frozen=True)
class ResellerChannel:
    """A reseller's settled sales as its country operation's books have them, over a period (minor units)."""

    schema: str
    name: str
    cost_minor: int  # what the sales cost at the providers (the operation paid them)
    margin_minor: int  # the operation's margin on them: its revenue and the taxes carved out of it

    @property
    def drawn_minor(self) -> int:
        """What the reseller's float paid the operation for them: the two together."""
        return self.cost_minor + self.margin_minor


def reseller_channel(*, since: datetime) -> list[ResellerChannel]:
    """In a country operation's schema: each of its resellers' sales settled since ``since`` (net of reversals),
    from the float entries the operation's ledger holds (``metadata.reseller``; docs/resellers.md). The operator's
    own orders table does not hold these sales: without them its dashboard showed a margin below its books."""
    from tenant_apps.ledger.models import TAX_KINDS, AccountKind, Posting
    from tenants.models import Tenant, TenantKind

    from .floats import current_tenant

    tenant = current_tenant()
    if tenant is None or tenant.kind != TenantKind.COUNTRY_OPERATION:
        return []
    income = {AccountKind.REVENUE.value, *(kind.value for kind in TAX_KINDS)}
    sums: dict[str, dict[str, int]] = {}
    for row in (Posting.objects.filter(entry__created_at__gte=since, entry__metadata__has_key="reseller",
                                       account__kind__in=[AccountKind.PROVIDER_SETTLEMENT.value, *income])
                .values("entry__metadata__reseller", "account__kind").annotate(total=Sum("amount"))):
        per = sums.setdefault(str(row["entry__metadata__reseller"]), {"cost": 0, "margin": 0})
        per["cost" if row["account__kind"] == AccountKind.PROVIDER_SETTLEMENT else "margin"] += row["total"] or 0
    resellers = Tenant.objects.filter(kind=TenantKind.RESELLER_BRAND, parent=tenant).order_by("name")
    return [ResellerChannel(schema=reseller.schema_name, name=reseller.brand_name,
                            cost_minor=sums.get(reseller.schema_name, {}).get("cost", 0),
                            margin_minor=sums.get(reseller.schema_name, {}).get("margin", 0))
            for reseller in resellers]
