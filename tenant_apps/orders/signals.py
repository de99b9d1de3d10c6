"""Signals other apps hook into (the reseller/commission helper claws back on reversal).

Both are sent after the transaction that changed the order commits, in the order's
tenant schema; receivers get ``order`` and ``schema_name``.
"""

from django.dispatch import Signal

order_settled = Signal()  # value delivered and the hold settled (also a late success after a refund)
order_reversed = Signal()  # the provider reversed a delivered order; the buyer has been refunded
