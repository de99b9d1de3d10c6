"""Savings circles and goals: membership (the invited phone), contributions, payouts, goals."""

from tenant_apps.privacy.registry import MASK, PSEUDONYM, no_personal_data, register

from .models import Circle, CircleMember, CirclePayout, Contribution, SavingsGoal, SavingsSettings

register(Circle, owners=("organiser",), erase={"name": PSEUDONYM})
register(CircleMember, owners=("user",), erase={"phone": MASK})
register(Contribution, owners=("member__user",))
register(CirclePayout, owners=("member__user",))
register(SavingsGoal, owners=("owner",), erase={"name": PSEUDONYM})
no_personal_data(SavingsSettings, "the tenant's savings rules")
