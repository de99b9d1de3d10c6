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


MONEY_MOVING: dict[str, Guard] = {
    # --- API -------------------------------------------------------------------------------------
    "POST api/wallet/adjustments": Guard.IDEMPOTENCY_KEY,
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
    "POST wallet/cash-out": Guard.FORM_KEY,
    "POST wallet/bank-account": Guard.FORM_KEY,
    # The gateway's return page verifies a pending funding and credits it once (the intent's state, under
    # its row lock, as the webhook does).
    "POST wallet/fund/return/": Guard.STATE_GUARDED,
    "POST wallet/fund/return/<uuid:public_id>": Guard.STATE_GUARDED,
    "POST back-office/orders/<uuid:public_id>/requery": Guard.STATE_GUARDED,
    "POST back-office/orders/<uuid:public_id>/resolve": Guard.STATE_GUARDED,
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
    "POST api/risk/rules": "a risk rule",
    "PATCH api/risk/rules/<uuid:public_id>": "a risk rule",
    "POST api/risk/step-up/<uuid:public_id>/verify": "checks a step-up code (attempts counted); the payment is "
                                                       "repeated separately",
    "POST api/risk/step-up/<uuid:public_id>/resend": "sends a step-up code",
    "POST api/auth/devices/<uuid:public_id>/sign-out": "revokes a device's tokens and sessions",
    # --- head-office API ------------------------------------------------------------------------------
    "POST api/head-office/users/<uuid:public_id>/role": "changes a role",
    # --- infrastructure -------------------------------------------------------------------------------
    "POST metrics": "read-only",
    "POST i18n/setlang/": "the page language",
    # --- tenant pages -----------------------------------------------------------------------------------
    "POST ": "home page",
    "POST signup": "creates an account",
    "POST verify": "checks a code",
    "POST verify/resend": "sends a code",
    "POST login": "signs in",
    "POST logout": "signs out",
    "POST profile": "profile fields",
    "POST kyc": "stores a KYC submission",
    "POST back-office/": "read-only",
    "POST back-office/users": "roles",
    "POST back-office/kyc/<uuid:public_id>/decide": "a KYC decision (state-guarded)",
    "POST subscriptions/<uuid:public_id>/<str:action>": "pause, resume or cancel (state-guarded)",
    "POST agent/team": "invites a sub-agent",
    "POST back-office/pricing": "a price rule",
    "POST back-office/pricing/<int:rule_id>/delete": "a price rule",
    "POST back-office/applications/<uuid:public_id>/decide": "a reseller decision (state-guarded)",
    "POST back-office/risk/rules": "a risk rule",
    "POST back-office/risk/rules/<uuid:public_id>": "a risk rule (edit or delete)",
    "POST back-office/risk/decisions": "read-only page",
    "POST back-office/risk/reviews": "read-only page",
    "POST profile/devices/<uuid:public_id>/sign-out": "signs a device out",
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
