"""Orders: recipient numbers, customer numbers/names and receipt details are the person's; amounts,
references, statuses and dates stay (they are what the ledger and the provider's statement match)."""

from tenant_apps.privacy.registry import BLANK, MASK, PSEUDONYM, SCRUB, no_personal_data, register

from .models import Order, OrderAttempt, OrderOutbox, OrderTransition

register(Order, owners=("user",), erase={"recipient_phone": MASK, "customer_number": MASK,
                                         "customer_name": PSEUDONYM, "receipt_details": SCRUB, "token": BLANK})
register(OrderAttempt, owners=("order__user",))
register(OrderTransition, owners=("order__user",))
no_personal_data(OrderOutbox, "an order id waiting for its provider call")
