"""Reads for the cash pages and API."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import CashTransaction, WithdrawalCode, WithdrawalCodeStatus


def cash_history(*, user) -> QuerySet[CashTransaction]:
    """What an agent served, or what a customer received and withdrew, newest first."""
    return (CashTransaction.objects.filter(Q(agent=user) | Q(customer=user))
            .select_related("customer", "agent", "challenge").order_by("-created_at", "-id"))


def withdrawal_codes(*, customer) -> QuerySet[WithdrawalCode]:
    return WithdrawalCode.objects.filter(customer=customer).order_by("-created_at", "-id")


def active_withdrawal_codes(*, customer) -> QuerySet[WithdrawalCode]:
    return withdrawal_codes(customer=customer).filter(status=WithdrawalCodeStatus.ACTIVE,
                                                     expires_at__gt=timezone.now())
