"""Fidelity: the community SDK ``pypaystack2`` (pydantic models of Paystack's objects), pointed at the Paystack
simulator by its base URL only, parses every answer unmodified (a model that fails leaves ``data`` None and logs
a warning: both asserted)."""

from __future__ import annotations

import logging
import uuid

import pytest
from pypaystack2.enums import Country, Currency, RecipientType
from pypaystack2.models.response_models import (
    Authorization,
    Bank,
    BankAccountInfo,
    Customer,
    DedicatedAccount,
    DedicatedAccountProvider,
    InitTransaction,
    IntegrationBalance,
    Transaction,
    Transfer,
    TransferRecipient,
)
from pypaystack2.sub_clients import (
    CustomerClient,
    DedicatedAccountClient,
    MiscellaneousClient,
    TransactionClient,
    TransferClient,
    TransferControlClient,
    TransferRecipientClient,
    VerificationClient,
)

from provider_plugins.paystack.simulator import PaystackSimulator
from tests.support.waiting import wait_for

SECRET = "sk_test_sdk"


@pytest.fixture(scope="module")
def sim():
    with PaystackSimulator(secret_key=SECRET, transfer_delay=0.01) as server:
        yield server


def client(cls, sim):
    instance = cls(secret_key=SECRET)
    instance._BASE_URL = sim.url  # the only change: where the SDK sends its requests
    return instance


@pytest.fixture
def no_model_warnings(caplog):
    with caplog.at_level(logging.WARNING, logger="pypaystack2"):
        yield
    assert not [r for r in caplog.records if r.name.startswith("pypaystack2")], caplog.text


def attr(value, name: str):
    """``Transaction.customer`` / ``.authorization`` are ``Model | dict`` unions: pydantic keeps a JSON object as the
    dict member, so the SDK hands either; read both ways."""
    return value[name] if isinstance(value, dict) else getattr(value, name)


def parsed(response, model):
    assert response.status is True, response.raw
    data = response.data
    items = data if isinstance(data, list) else [data]
    assert data is not None and items and all(isinstance(item, model) for item in items), response.raw
    return data


def test_transactions_banks_and_balance(sim, no_model_warnings):
    transactions = client(TransactionClient, sim)
    reference = "sdk-" + uuid.uuid4().hex[:12]
    init = parsed(transactions.initialize(amount=150_000, email="sdk@example.com", currency=Currency.NGN,
                                          reference=reference, callback_url="https://ng.localhost/back"),
                  InitTransaction)
    assert init.reference == reference
    pending = parsed(transactions.verify(reference), Transaction)
    assert pending.status == "abandoned" and attr(pending.customer, "email") == "sdk@example.com"
    sim.complete(reference)
    paid = parsed(transactions.verify(reference), Transaction)
    assert paid.status == "success" and paid.amount == 150_000 and paid.paid_at is not None
    assert attr(paid.authorization, "authorization_code").startswith("AUTH_")
    assert attr(paid.authorization, "reusable") is True
    assert attr(paid.customer, "customer_code").startswith("CUS_") and paid.log.success is True
    assert paid.fees == 2_250
    # The nested objects are kept as dicts by the SDK's unions: they must still be valid models.
    Authorization.model_validate(paid.authorization)
    Customer.model_validate(paid.customer)
    assert parsed(transactions.get_transaction(paid.id), Transaction).reference == reference
    banks = parsed(client(MiscellaneousClient, sim).get_banks(country=Country.NIGERIA), Bank)
    assert {"058", "044"} <= {bank.code for bank in banks} and banks[0].country == "Nigeria"
    account = parsed(client(VerificationClient, sim).resolve_account_number("0123456789", "058"), BankAccountInfo)
    assert account.account_name == "ADA OBI LOVELACE"
    [balance] = parsed(client(TransferControlClient, sim).check_balance(), IntegrationBalance)
    assert balance.currency == Currency.NGN and balance.balance == sim.balance


def test_recipients_and_transfers(sim, no_model_warnings):
    recipient = parsed(client(TransferRecipientClient, sim).create(
        type_=RecipientType.NUBAN, name="Ada Obi", account_number="0123456789", bank_code="058",
        currency=Currency.NGN), TransferRecipient)
    assert recipient.recipient_code.startswith("RCP_") and recipient.details.bank_name == "Guaranty Trust Bank"
    assert parsed(client(TransferRecipientClient, sim).get_transfer_recipient(recipient.recipient_code),
                  TransferRecipient).id == recipient.id
    transfers = client(TransferClient, sim)
    reference = "sdk-po-" + uuid.uuid4().hex[:10]
    sent = parsed(transfers.initiate(amount=50_000, recipient=recipient.recipient_code, reason="payout",
                                     reference=reference), Transfer)
    assert sent.status == "pending" and sent.transfer_code.startswith("TRF_")
    done = wait_for(lambda: (t := parsed(transfers.verify(reference), Transfer)).status == "success" and t)
    assert isinstance(done.recipient, TransferRecipient) and done.amount == 50_000


def test_customers_and_dedicated_accounts(sim, no_model_warnings):
    email = f"dva-{uuid.uuid4().hex[:8]}@example.com"
    customer = parsed(client(CustomerClient, sim).create(email=email, first_name="Rhoda", last_name="Church",
                                                         phone="+2349053267565"), Customer)
    dedicated = client(DedicatedAccountClient, sim)
    providers = parsed(dedicated.get_providers(), DedicatedAccountProvider)
    assert "wema-bank" in {p.provider_slug for p in providers}
    account = parsed(dedicated.create(customer=customer.customer_code, preferred_bank="wema-bank"), DedicatedAccount)
    assert account.assigned and account.bank.slug == "wema-bank" and len(account.account_number) == 10
    assert parsed(dedicated.get_dedicated_account(account.id), DedicatedAccount).account_number == \
        account.account_number
    listed = parsed(dedicated.get_dedicated_accounts(customer=str(customer.id)), DedicatedAccount)
    assert [a.id for a in listed] == [account.id]
    fetched = parsed(client(CustomerClient, sim).get_customer(customer.customer_code), Customer)
    assert fetched.email == email and fetched.dedicated_accounts
    # A transfer into the account is a dedicated_nuban transaction the SDK reads like any other.
    txn = sim.bank_transfer(account_number=account.account_number, amount=30_000, notify=False)
    paid = parsed(client(TransactionClient, sim).verify(txn["reference"]), Transaction)
    assert paid.channel == "dedicated_nuban" and attr(paid.authorization, "channel") == "dedicated_nuban"
    assert attr(paid.customer, "customer_code") == customer.customer_code
    assert parsed(dedicated.deactivate(account.id, alternate_model_class=DedicatedAccount),
                  DedicatedAccount).active is False
    assert client(TransactionClient, sim).is_verified_webhook_payload(
        b'{"event":"charge.success"}', sim.sign_webhook(b'{"event":"charge.success"}')["x-paystack-signature"])
