"""Provider registry tasks: each only calls a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="providers.check_balances")
def check_balances_task() -> dict[str, int]:
    """Ask every provider for our balance (metrics + a WARNING per low one); returns counts."""
    from .balances import provider_balances

    lines = provider_balances()
    return {"checked": len(lines), "low": sum(line.low for line in lines),
            "unavailable": sum(bool(line.error) for line in lines)}
