"""Reads for agents, commissions and resellers."""

from __future__ import annotations

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
