"""Agent cash-in / cash-out: the codes are secrets (hashes never exported), the transactions are money."""

from tenant_apps.privacy.registry import register

from .models import CashTransaction, ConfirmationChallenge, WithdrawalCode

register(ConfirmationChallenge, owners=("user",), exclude=("secret_hash",))
register(WithdrawalCode, owners=("customer",), exclude=("code_hash", "code_sealed"))
register(CashTransaction, owners=("customer", "agent"))
