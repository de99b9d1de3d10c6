"""A local Paystack: the same endpoints, JSON envelopes and webhook signature as api.paystack.co.

Objects are shaped like Paystack's API reference (https://paystack.com/docs/api/) and the
official response samples (github.com/PaystackOSS/doc-code-snippets, ``src/api/*/response.json``),
so a community SDK (``pypaystack2``) parses them unmodified (tests/gateways/test_paystack_sdk.py).

Endpoints: ``POST /transaction/initialize``, ``GET /transaction/verify/:reference``,
``GET /transaction/:id``, ``GET /transaction?customer=``, ``GET /bank``, ``GET /bank/resolve``,
``POST /transferrecipient``, ``GET /transferrecipient/:code``, ``POST /transfer``,
``GET /transfer/verify/:reference``, ``GET /balance``, ``POST /customer``,
``GET|PUT /customer/:email_or_code``, and the dedicated virtual accounts
(``POST /dedicated_account``, ``POST /dedicated_account/assign``, ``GET /dedicated_account``,
``GET /dedicated_account/:id``, ``DELETE /dedicated_account/:id``,
``GET /dedicated_account/available_providers``, ``GET /dedicated_account/requery``).
The hosted checkout is ``GET /checkout/:access_code`` (a page with Pay / Decline buttons);
tests can call :meth:`PaystackSimulator.complete` instead. A bank transfer into a dedicated
account is :meth:`PaystackSimulator.bank_transfer` (or ``POST /_simulator/bank_transfer``, or the
page ``GET /_simulator/bank``): a ``dedicated_nuban`` transaction and its ``charge.success``.
Webhooks (``charge.success``, ``transfer.success|failed|reversed``,
``dedicatedaccount.assign.success|failed``) are POSTed to ``webhook_url`` with
``x-paystack-signature`` = hex HMAC-SHA512 of the raw body keyed with the secret key.

Name enquiry: any 10-digit account number resolves (to ``accounts`` entries or a
generated name) except numbers starting with ``99``. Transfers below ``min_transfer``
kobo are refused; ``balance`` is the merchant balance transfers draw from.

The package goes by concern, one mixin per module over the shared state and helpers of ``base``:
``customers``; ``transactions`` (and the hosted checkout); ``dedicated_accounts`` (and bank transfers into
them); ``transfers`` (banks, name enquiry, recipients, balance, payouts). ``PaystackSimulator`` composes them
and registers the routes.
"""

from __future__ import annotations

from .base import BANKS, DVA_PROVIDERS, INTEGRATION_ID, PaystackBase
from .customers import CustomerEndpoints
from .dedicated_accounts import DedicatedAccountEndpoints
from .transactions import TransactionEndpoints
from .transfers import TransferEndpoints


class PaystackSimulator(CustomerEndpoints, TransactionEndpoints, DedicatedAccountEndpoints, TransferEndpoints,
                        PaystackBase):
    def routes(self) -> None:
        self.route("POST", r"/transaction/initialize/?", self.initialize)
        self.route("GET", r"/transaction/verify/([^/]+)", self.verify)
        self.route("GET", r"/transaction/(\d+)/?", self.fetch)
        self.route("GET", r"/transaction/?", self.list_transactions)
        self.route("GET", r"/checkout/([^/]+)", self.checkout_page)
        self.route("POST", r"/checkout/([^/]+)/pay", self.checkout_pay)
        self.route("POST", r"/_simulator/complete/([^/]+)", self.control_complete)
        self.route("POST", r"/_simulator/bank_transfer", self.control_bank_transfer)
        self.route("GET", r"/_simulator/bank", self.bank_page)
        self.route("POST", r"/_simulator/bank", self.bank_page_send)
        self.route("GET", r"/bank/?", self.list_banks)
        self.route("GET", r"/bank/resolve/?", self.resolve)
        self.route("POST", r"/transferrecipient/?", self.create_recipient)
        self.route("GET", r"/transferrecipient/([^/]+)/?", self.fetch_recipient)
        self.route("POST", r"/transfer/?", self.create_transfer)
        self.route("GET", r"/transfer/verify/([^/]+)", self.verify_transfer)
        self.route("GET", r"/balance/?", self.get_balance)
        self.route("POST", r"/customer/?", self.create_customer)
        self.route("GET", r"/customer/([^/]+)/?", self.fetch_customer)
        self.route("PUT", r"/customer/([^/]+)/?", self.update_customer)
        self.route("GET", r"/dedicated_account/available_providers/?", self.dva_providers)
        self.route("GET", r"/dedicated_account/requery/?", self.dva_requery)
        self.route("POST", r"/dedicated_account/assign/?", self.dva_assign)
        self.route("POST", r"/dedicated_account/?", self.dva_create)
        self.route("GET", r"/dedicated_account/?", self.dva_list)
        self.route("GET", r"/dedicated_account/(\d+)/?", self.dva_fetch)
        self.route("DELETE", r"/dedicated_account/(\d+)/?", self.dva_deactivate)


__all__ = ["BANKS", "DVA_PROVIDERS", "INTEGRATION_ID", "PaystackSimulator"]
