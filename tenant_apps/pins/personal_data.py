"""The transaction PIN: its hash is never exported; erasure deletes it (the account cannot spend any more)."""

from tenant_apps.privacy.registry import no_personal_data, register

from .models import PinPolicy, TransactionPin

register(TransactionPin, owners=("user",), delete=True, exclude=("pin_hash",))
no_personal_data(PinPolicy, "the tenant's PIN policy")
