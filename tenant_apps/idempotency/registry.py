"""Which endpoints move money, and what keeps each of them from moving it twice: the ONE list.

Every route of the tenant and head-office URL confs that accepts a write (POST, PUT, PATCH) is
in exactly one of the tables below; ``tests/ledger/test_money_endpoints.py`` walks the URL
confs and fails on a write route that is in none, on an API route declared money-moving whose
method is not wrapped by ``@idempotent``, on a page declared money-moving that does not run
through a form key, and on a ``/webhook/`` route that does not go through the provider-callback
binding (``shared_apps.providers.callbacks``). Adding an endpoint therefore means deciding here,
in review, whether it moves money.

Routes are written as Django prints them (``str(pattern)``, prefixes joined), with the method:
``"POST api/purchase"``. Django admin (``admin/``) is not walked: it has no ledger writes.
"""

from __future__ import annotations

from enum import StrEnum


class Guard(StrEnum):
    # API: ``@idempotent`` on the view method: 400 without a key, replay of the stored response,
    # 422 for the same key with another body, 409 while the first is in flight.
    IDEMPOTENCY_KEY = "idempotency_key"
    # Page: the rendered form's hidden key, through the same ``run_idempotently`` service
    # (``portal.once.run_once``, or ``run_idempotently`` itself).
    FORM_KEY = "form_key"
    # Page: a repeat is refused by the object's state, checked under its row lock (the API twin
    # of the page is ``@idempotent``).
    STATE_GUARDED = "state_guarded"
    # Channel callback (USSD): the money step runs through ``run_idempotently`` with a key made of the
    # gateway's session id and the step, so the gateway repeating or resending it never moves money twice.
    SESSION_KEY = "session_key"


MONEY_MOVING: dict[str, Guard] = {
    # --- API -------------------------------------------------------------------------------------
    "POST api/wallet/adjustments": Guard.IDEMPOTENCY_KEY,
    "POST api/wallet/funding-reviews/<uuid:public_id>/resolve": Guard.IDEMPOTENCY_KEY,
    "POST api/wallet/fund": Guard.IDEMPOTENCY_KEY,
    "POST api/transfers": Guard.IDEMPOTENCY_KEY,
    "POST api/purchase": Guard.IDEMPOTENCY_KEY,
    "POST api/staff/orders/<uuid:public_id>/requery": Guard.IDEMPOTENCY_KEY,
    "POST api/staff/orders/<uuid:public_id>/resolve": Guard.IDEMPOTENCY_KEY,
    # A subscription spends at once (its first run is due at the next beat tick) and then on schedule.
    "POST api/subscriptions": Guard.IDEMPOTENCY_KEY,
    "POST api/resellers/float/fund": Guard.IDEMPOTENCY_KEY,
    "POST api/resellers/<slug:schema>/float": Guard.IDEMPOTENCY_KEY,
    "POST api/agents/<uuid:agent_id>/fund": Guard.IDEMPOTENCY_KEY,
    # Agent cash: the one-time codes are checked first in their own transaction (idempotent_after_check).
    "POST api/cash/in": Guard.IDEMPOTENCY_KEY,
    "POST api/cash/in/<uuid:public_id>/confirm": Guard.IDEMPOTENCY_KEY,
    "POST api/cash/in/<uuid:public_id>/cancel": Guard.IDEMPOTENCY_KEY,
    "POST api/cash/out": Guard.IDEMPOTENCY_KEY,
    "POST api/cash/withdrawal-codes": Guard.IDEMPOTENCY_KEY,  # holds the amount and fee on the wallet
    "POST api/cash/withdrawal-codes/<uuid:public_id>/cancel": Guard.IDEMPOTENCY_KEY,  # releases that hold
    # Merchant payments (tenant_apps.merchants): paying, refunds (the owner's, operator finance's disputes).
    "POST api/merchant-payments": Guard.IDEMPOTENCY_KEY,
    "POST api/merchants/<uuid:public_id>/payments/<uuid:payment_id>/refunds": Guard.IDEMPOTENCY_KEY,
    "POST api/staff/merchant-payments/<uuid:public_id>/refunds": Guard.IDEMPOTENCY_KEY,
    # Savings (tenant_apps.savings): arrears, goals (a goal with automatic saving spends on a schedule,
    # like a subscription: created once), deposits, withdrawals, the operator's dissolution (refunds).
    "POST api/savings/contributions/<uuid:public_id>/pay": Guard.IDEMPOTENCY_KEY,
    "POST api/savings/goals": Guard.IDEMPOTENCY_KEY,
    "POST api/savings/goals/<uuid:public_id>/deposits": Guard.IDEMPOTENCY_KEY,
    "POST api/savings/goals/<uuid:public_id>/withdrawals": Guard.IDEMPOTENCY_KEY,
    "POST api/staff/savings/circles/<uuid:public_id>/dissolve": Guard.IDEMPOTENCY_KEY,
    # Remittances (tenant_apps.remittances): sending holds the amount; the operator's release sends a held one,
    # the rejection refunds it.
    "POST api/remittances": Guard.IDEMPOTENCY_KEY,
    "POST api/staff/remittances/<uuid:public_id>/release": Guard.IDEMPOTENCY_KEY,
    "POST api/staff/remittances/<uuid:public_id>/reject": Guard.IDEMPOTENCY_KEY,
    # Bulk top-ups: the confirmation starts one order per row (each through purchase_create, once per row).
    "POST api/bulk-topups/<uuid:public_id>/confirm": Guard.IDEMPOTENCY_KEY,
    # --- pages (tenant_apps.portal) ----------------------------------------------------------------
    "POST buy/<str:kind>": Guard.FORM_KEY,
    "POST pay/<str:kind>": Guard.FORM_KEY,
    "POST wallet/fund": Guard.FORM_KEY,
    "POST transfers": Guard.FORM_KEY,
    "POST subscriptions": Guard.FORM_KEY,
    "POST agent/sell": Guard.FORM_KEY,
    "POST agent/team/<uuid:agent_id>/fund": Guard.FORM_KEY,
    "POST agent/cash-in": Guard.FORM_KEY,
    "POST agent/cash-out": Guard.FORM_KEY,
    "POST agent/cash/<uuid:public_id>": Guard.FORM_KEY,
    "POST wallet/withdraw": Guard.FORM_KEY,
    "POST wallet/withdraw/<uuid:public_id>": Guard.FORM_KEY,  # cancel releases the code's hold; resend texts it
    "POST wallet/cash-out": Guard.FORM_KEY,
    "POST wallet/bank-account": Guard.FORM_KEY,
    "POST pay": Guard.FORM_KEY,  # pay a merchant
    "POST business/<uuid:public_id>/payments/<uuid:payment_id>": Guard.FORM_KEY,  # the owner's refund
    "POST savings": Guard.FORM_KEY,  # a goal (automatic saving spends on a schedule); a circle moves no money
    "POST savings/goals/<uuid:public_id>": Guard.FORM_KEY,  # deposit, withdrawal
    "POST savings/circles/<uuid:public_id>": Guard.FORM_KEY,  # paying arrears; the other actions move no money
    "POST agent/bulk/<uuid:public_id>": Guard.FORM_KEY,  # confirms a bulk top-up (one order per row)
    # The gateway's return page verifies a pending funding and credits it once (the intent's state, under
    # its row lock, as the webhook does).
    "POST wallet/fund/return/": Guard.STATE_GUARDED,
    "POST wallet/fund/return/<uuid:public_id>": Guard.STATE_GUARDED,
    "POST back-office/orders/<uuid:public_id>/requery": Guard.STATE_GUARDED,
    "POST back-office/orders/<uuid:public_id>/resolve": Guard.STATE_GUARDED,
    "POST back-office/funding-reviews/<uuid:public_id>/resolve": Guard.STATE_GUARDED,
    "POST remittances/quotes/<uuid:public_id>": Guard.FORM_KEY,  # confirms a quote: holds the amount, sends it
    # Release sends a held remittance on, reject refunds it: the remittance's state under its row lock (409 after).
    "POST back-office/remittances/<uuid:public_id>/<str:verdict>": Guard.STATE_GUARDED,
    # --- channels (tenant_apps.ussd): every money step asks the transaction PIN (pins.gate) ---------------
    "POST ussd/africastalking/<str:token>": Guard.SESSION_KEY,
    # Refunds the open round's contributions once: the circle must be running, under its row lock (409 after).
    "POST back-office/savings/circles/<uuid:public_id>/dissolve": Guard.STATE_GUARDED,
    # Risk review (tenant_apps.risk.review): release sends a held movement on, reject gives its hold back.
    "POST api/risk/decisions/<uuid:public_id>/release": Guard.IDEMPOTENCY_KEY,
    "POST api/risk/decisions/<uuid:public_id>/reject": Guard.IDEMPOTENCY_KEY,
    # The decision row's review state, under its row lock (the API twin is @idempotent).
    "POST back-office/risk/decisions/<uuid:public_id>/<str:verdict>": Guard.STATE_GUARDED,
}

# Provider callbacks move money only through the callback binding (signature, event-id dedupe,
# lookup bound to the provider, verification with the provider): see docs/gateways.md.
PROVIDER_CALLBACK_PREFIX = "webhook/"

NO_MONEY: dict[str, str] = {
    # --- tenant API ---------------------------------------------------------------------------------
    "POST api/auth/register": "creates an account",
    "POST api/auth/login": "issues tokens",
    "POST api/auth/otp": "sends or checks a code",
    "POST api/auth/refresh": "rotates tokens",
    "POST api/auth/logout": "blacklists a token",
    "POST api/auth/password/change": "sets a new password and signs the account out everywhere",
    "POST api/auth/email/verify": "mails a proof of the address or checks it (the address becomes payable by email)",
    "PUT api/auth/me": "profile fields",
    "PATCH api/auth/me": "profile fields",
    "POST api/accounts/users/<uuid:public_id>/role": "changes a role",
    "POST api/kyc/submissions": "stores a KYC submission",
    "POST api/kyc/submissions/<uuid:public_id>/approve": "a KYC decision (state-guarded: 409 when decided)",
    "POST api/kyc/submissions/<uuid:public_id>/reject": "a KYC decision (state-guarded: 409 when decided)",
    "POST api/transfers/name-enquiry": "asks the bank for a name",
    "POST api/purchase/verify": "asks the biller about a meter or smartcard",
    "POST api/transfers/wallet-name-check": "asks the rail for the wallet holder's name",
    "POST api/wallet/virtual-account": "opens a dedicated bank account (idempotent; no money)",
    "POST api/wallet/virtual-account/requery": "credits only gateway-verified transfers, each once by its gateway "
                                               "reference (the ledger's unique entry reference)",
    "POST api/subscriptions/<uuid:public_id>/pause": "stops future runs",
    "POST api/subscriptions/<uuid:public_id>/resume": "re-enables an existing subscription (state-guarded: 409 when "
                                                      "not paused); each run is bought once per scheduled time",
    "POST api/subscriptions/<uuid:public_id>/cancel": "stops future runs",
    "POST api/pricing/rules": "a price rule",
    "PUT api/pricing/commission-tiers": "commission tiers",
    "PATCH api/pricing/settings": "pricing settings",
    "POST api/resellers/applications": "a reseller application",
    "POST api/resellers/applications/<uuid:application_id>/approve": "creates the reseller tenant (state-guarded)",
    "POST api/resellers/applications/<uuid:application_id>/reject": "a decision (state-guarded)",
    "POST api/resellers/api-keys": "an API key",
    "POST api/resellers/api-keys/<str:key_id>/rotate": "an API key",
    "POST api/resellers/api-keys/<str:key_id>/revoke": "an API key",
    "POST api/resellers/webhooks": "a webhook subscription",
    "POST api/resellers/webhooks/deliveries/<uuid:delivery_id>/redeliver": "re-sends a notification",
    "POST api/agents/invitations": "an invitation",
    "POST api/agents/invitations/accept": "creates the agent's account",
    "PATCH api/agents/<uuid:agent_id>": "agent settings",
    "POST api/pin": "sets the transaction PIN",
    "POST api/pin/change": "changes the transaction PIN",
    "POST api/pin/reset": "sends a code or resets the transaction PIN",
    "POST api/cash/withdrawal-codes/<uuid:public_id>/resend": "texts an active withdrawal code again (throttled; "
                                                              "its hold is untouched)",
    "PATCH api/pin/policy": "the tenant's transaction PIN threshold",
    "PATCH api/ussd/channel": "USSD channel settings",
    "POST api/ussd/channel/token": "a new USSD callback URL secret",
    "POST ussd/africastalking/<str:token>/events": "forgets a finished USSD session's state",
    # Merchant payments (tenant_apps.merchants)
    "POST api/merchants": "registers a business (it takes payments once the operator approved it)",
    "POST api/merchants/qr/resolve": "reads a scanned QR code (whom it pays, how much)",
    "PUT api/merchants/<uuid:public_id>/settlement-account": "where the takings are paid (audited)",
    "POST api/merchants/<uuid:public_id>/payment-requests": "a dynamic QR code; paying it is the idempotent "
                                                            "POST api/merchant-payments, once per code",
    "POST api/staff/merchants/<uuid:public_id>/approve": "a business-KYC decision (state-guarded: 409)",
    "POST api/staff/merchants/<uuid:public_id>/reject": "a business-KYC decision (state-guarded: 409)",
    "POST api/staff/merchants/<uuid:public_id>/suspend": "a business status change (state-guarded: 409)",
    "POST api/staff/merchants/<uuid:public_id>/reactivate": "a business status change (state-guarded: 409)",
    "PUT api/staff/merchant-categories/<slug:code>": "a category's fee (audited; applies to later payments)",
    # Savings (tenant_apps.savings): circles move money only on the beat, each contribution and pot once by
    # its ledger reference; these set them up.
    "POST api/savings/circles": "opens a circle (nothing is collected before it starts)",
    "POST api/savings/circles/<uuid:public_id>/invitations": "invites a phone",
    "POST api/savings/circles/<uuid:public_id>/members/<int:member_id>/remove": "before the start only",
    "PUT api/savings/circles/<uuid:public_id>/order": "the rotation order, before the start only",
    "POST api/savings/circles/<uuid:public_id>/start": "fixes the rules (state-guarded: 409 once running)",
    "POST api/savings/circles/<uuid:public_id>/cancel": "before the start only (nothing collected)",
    "POST api/savings/circles/<uuid:public_id>/accept": "consent to be collected (state-guarded: 409)",
    "POST api/savings/circles/<uuid:public_id>/decline": "declines an invitation (state-guarded: 409)",
    "PUT api/savings/goals/<uuid:public_id>/autosave": "the top-up schedule (the same settings twice keep "
                                                      "the schedule; each top-up posts once per due time)",
    "PUT api/staff/savings/rules": "the early-withdrawal rule (audited)",
    "POST api/remittances/quotes": "prices a remittance and screens the names (accepting it is the idempotent "
                                   "POST api/remittances, once per quote)",
    "PUT api/staff/remittance-corridors/<str:country>": "a corridor's margin and fee (audited; later quotes)",
    "POST api/bulk-topups": "a bulk top-up preview (idempotent per file: the same file again is the same batch)",
    "POST api/receipts/<str:kind>/<uuid:public_id>/share": "a receipt's shareable link (once per receipt)",
    "POST api/risk/rules": "a risk rule",
    "PATCH api/risk/rules/<uuid:public_id>": "a risk rule",
    "POST api/risk/step-up/<uuid:public_id>/verify": "checks a step-up code (attempts counted); the payment is "
                                                       "repeated separately",
    "POST api/risk/step-up/<uuid:public_id>/resend": "sends a step-up code",
    "POST api/auth/devices/<uuid:public_id>/sign-out": "revokes a device's tokens and sessions",
    "POST api/privacy/exports": "queues an export of the person's data (a new one each time; audited)",
    "POST api/privacy/erasure": "erases the person's data once (state-guarded: 409 when already erased)",
    "POST api/privacy/users/<uuid:public_id>/exports": "queues an export on the person's request (audited)",
    "POST api/privacy/users/<uuid:public_id>/erasure": "erases on the person's request (state-guarded: 409)",
    # --- head-office API ------------------------------------------------------------------------------
    "POST api/head-office/users/<uuid:public_id>/role": "changes a role",
    # --- infrastructure -------------------------------------------------------------------------------
    "POST metrics": "read-only",
    "POST i18n/setlang/": "the page language",
    # --- tenant pages -----------------------------------------------------------------------------------
    "POST ": "home page",
    "POST signup": "creates an account",
    "POST agent/invitation": "creates an invited agent's account (the invitation's token is spent once)",
    "POST verify": "checks a code",
    "POST verify/resend": "sends a code",
    "POST login": "signs in",
    "POST logout": "signs out",
    "POST profile": "profile fields",
    "POST profile/email": "mails a proof of the address or checks it (the API's accounts.email_proof)",
    "POST kyc": "stores a KYC submission",
    "POST back-office/": "read-only",
    "POST back-office/users": "roles",
    "POST back-office/kyc/<uuid:public_id>/decide": "a KYC decision (state-guarded)",
    "POST subscriptions/<uuid:public_id>/<str:action>": "pause, resume or cancel (state-guarded)",
    "POST agent/team": "invites a sub-agent",
    "POST back-office/pricing": "a price rule",
    "POST back-office/pricing/<int:rule_id>/delete": "a price rule",
    "POST back-office/applications/<uuid:public_id>/decide": "a reseller decision (state-guarded)",
    "POST security/pin": "sets or changes the transaction PIN",
    "POST security/pin/reset": "sends a code or resets the transaction PIN",
    "POST back-office/ussd": "USSD channel settings and the PIN threshold",
    "POST agent/bulk": "a bulk top-up preview (idempotent per file)",
    "POST receipts/<str:kind>/<uuid:public_id>/share": "a receipt's shareable link, or turning it off",
    "POST back-office/risk/rules": "a risk rule",
    "POST back-office/risk/rules/<uuid:public_id>": "a risk rule (edit or delete)",
    "POST back-office/risk/decisions": "read-only page",
    "POST back-office/risk/reviews": "read-only page",
    "POST profile/devices/<uuid:public_id>/sign-out": "signs a device out",
    "POST my-data": "asks for an export or erases the person's data (state-guarded)",
    "POST back-office/privacy/<uuid:public_id>/export": "queues an export on the person's request",
    "POST back-office/privacy/<uuid:public_id>/erase": "erases on the person's request (state-guarded)",
    # Pages without a method restriction whose POST does nothing but render (read-only).
    "POST wallet": "read-only page",
    "POST buy": "read-only page",
    "POST agent/wallet": "read-only page",
    "POST agent/commissions": "read-only page",
    "POST agent/sales/<uuid:public_id>": "read-only page",
    "POST back-office/kyc": "read-only page",
    "POST back-office/orders": "read-only page",
    "POST back-office/orders/<uuid:public_id>": "read-only page",
    "POST back-office/applications": "read-only page",
    "POST back-office/reconciliation": "read-only page",
    # Merchant and savings pages
    "POST business": "registers a business (else the dashboard, read-only)",
    "POST business/<uuid:public_id>": "read-only page (the dashboard)",
    "POST business/<uuid:public_id>/request": "a dynamic QR code (no money)",
    "POST business/<uuid:public_id>/settlement": "where the takings are paid (audited)",
    "POST back-office/merchants/<uuid:public_id>/decide": "a business-KYC decision (state-guarded)",
    "POST back-office/merchant-fees": "a category's fee (audited)",
    "POST back-office/savings": "the early-withdrawal rule (audited)",
    "POST remittances": "a quote (prices and screens; confirming it is the form-keyed quote page)",
    "POST back-office/remittance-corridors": "a corridor's margin and fee (audited)",
    # --- head-office console ------------------------------------------------------------------------------
    "POST console/": "read-only",
    "POST console/login": "signs in",
    "POST console/logout": "signs out",
    "POST console/tenants": "read-only page",
    "POST console/tenants/new": "provisions a tenant",
    "POST console/tenants/<slug:schema>": "tenant branding and settings",
    "POST console/providers": "a provider registry row",
    "POST console/catalog": "catalog sync",
    "POST console/audit": "read-only page",
    "POST console/analytics": "read-only page",
    "POST console/tenants/<slug:schema>/status": "suspends or reactivates a tenant",
    "POST console/providers/<int:pk>": "a provider registry row",
    "POST console/catalog/<int:pk>": "a catalog product",
    "POST console/providers/balances": "read-only page",
}
