"""Bulk top-ups through the API: preview, one confirmation, one order per row through purchase_create, results.

The rows are processed by calling the task's service in-process (``bulk_process``), inside each test's
rolled-back transaction: the orders are real (holds on the agent's wallet, quotes from the pricing cascade),
they just never reach a provider (no worker: tests/orders covers that path).
"""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from django_tenants.utils import schema_context

from tests.support.unchanged import nothing_changes

from .helpers import confirm, csv_file, get, mtn_numbers, new_agent, upload

pytestmark = pytest.mark.django_db

FUNDS = 2_000_000  # 20 000.00 NGN


def _rows(body: dict) -> dict[int, dict]:
    return {row["line"]: row for row in body["rows"]}


def _minor(text: str | None) -> int:
    from tenant_apps.ledger.currency import to_minor

    return to_minor(text, "NGN") if text is not None else 0


def test_a_file_of_50_rows_with_2_bad_rows(inproc_stack):
    from shared_apps.catalog.models import Product
    from tenant_apps.bulk.models import BulkBatch, BulkRow
    from tenant_apps.bulk.services import bulk_process
    from tenant_apps.ledger.services import wallet_for
    from tenant_apps.orders.models import Order
    from tenant_apps.pricing.quotes import quote_price

    agent, token = new_agent(1_000)  # 10.00 NGN: far too little for the batch
    numbers = mtn_numbers(48)
    bundle = inproc_stack.products["vt_data"]
    rows = [(number, "", "100") for number in numbers[:30]]  # airtime: the network's product is picked
    rows += [(number, str(bundle.pk), "") for number in numbers[30:]]  # data bundles by product number
    rows.insert(10, ("=HYPERLINK(\"http://evil\")", "", "100"))  # line 12: not a number (and a formula)
    rows.insert(40, (mtn_numbers(1)[0], "", "1e3"))  # line 42: an exponent is not an amount
    content = csv_file(rows)

    response = upload(token, content)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "preview" and body["duplicate_file"] is False
    assert body["counts"] == {"rows": 50, "valid": 48, "invalid": 2, "waiting": 48, "ordered": 0, "refused": 0}
    by_line = _rows(body)
    assert by_line[12]["status"] == "invalid" and by_line[12]["error"]["code"] == "invalid_number"
    assert by_line[42]["status"] == "invalid" and by_line[42]["error"]["code"] == "invalid_amount"
    # Every valid row priced as a single purchase of the same product by the same buyer.
    with schema_context("ng"):
        expected = 0
        for row in body["rows"]:
            if row["status"] != "ready":
                continue
            product = Product.objects.get(pk=row["product_id"])
            assert row["network"] == "mtn" and product.operator.lower().startswith("mtn")
            amount = _minor(row["amount"]) if product.is_open_amount else None
            price = quote_price(product=product, amount_minor=amount, buyer=agent).price_minor
            assert _minor(row["price"]) == price
            expected += price
    assert _minor(body["total_price"]) == expected
    assert body["by_network"] == [{"network": "mtn", "name": "MTN", "rows": 48,
                                   "price": body["total_price"]}] or body["by_network"][0]["rows"] == 48
    # The money is checked for the whole batch first: short wallet -> refused, nothing written.
    assert body["funds"]["wallet"]["enough"] is False and body["funds"]["enough"] is False
    refused = confirm(token, body["id"], pricing_version=body["pricing_version"])
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "insufficient_funds"
    with schema_context("ng"):
        batch = BulkBatch.objects.get(public_id=body["id"])
        assert batch.status == "preview" and Order.objects.filter(user=agent).count() == 0

    # The same file again: the same batch, no second one.
    again = upload(token, content, name="copy-of-topups.csv")
    assert again.status_code == 200 and again.json()["id"] == body["id"] and again.json()["duplicate_file"] is True
    with schema_context("ng"):
        assert BulkBatch.objects.filter(user=agent).count() == 1
        from tenant_apps.ledger.services import fund_wallet

        fund_wallet(wallet=wallet_for(user=agent), amount=FUNDS, reference=f"bulk-topup-{uuid.uuid4().hex}")

    key = uuid.uuid4().hex
    accepted = confirm(token, body["id"], key=key, pricing_version=body["pricing_version"])
    assert accepted.status_code == 202, accepted.content
    assert accepted.json()["status"] == "processing"
    replay = confirm(token, body["id"], key=key, pricing_version=body["pricing_version"])
    assert replay.status_code == 202 and replay["Idempotency-Replayed"] == "true"
    second = confirm(token, body["id"], pricing_version=body["pricing_version"])  # another confirmation: refused
    assert second.status_code == 409 and second.json()["error"]["code"] == "batch_already_confirmed"

    with schema_context("ng"):
        batch = BulkBatch.objects.get(public_id=body["id"])
        done = bulk_process(batch_id=batch.pk)  # what the Celery task runs
        assert done is not None and done.status == "completed"
        orders = list(Order.objects.filter(user=agent))
        assert len(orders) == 48
        assert sorted(order.dedupe_key or "" for order in orders) == sorted(
            f"bulk:{batch.public_id.hex}:{row.line}" for row in BulkRow.objects.filter(batch=batch, status="ordered"))
        assert sum(order.price_minor for order in orders) == expected
        # Held on the agent's wallet like 48 single purchases (the provider decides later).
        assert wallet_for(user=agent).balance == 1_000 + FUNDS - expected
        assert {order.status for order in orders} == {"held"}
        assert BulkRow.objects.filter(batch=batch, status="invalid").count() == 2
        # Running it again (a redelivered task) orders nothing twice.
        bulk_process(batch_id=batch.pk)
        assert Order.objects.filter(user=agent).count() == 48

    final = get(token, f"/api/bulk-topups/{body['id']}").json()
    assert final["counts"]["ordered"] == 48 and final["counts"]["invalid"] == 2
    assert all(row["order"]["status"] == "processing" for row in final["rows"] if row["status"] == "ordered")

    results = get(token, f"/api/bulk-topups/{body['id']}/results.csv")
    assert results.status_code == 200 and results["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(results.content.decode())))
    assert lines[0][:8] == ["line", "number", "network", "product", "amount", "price", "currency", "result"]
    assert len(lines) == 51
    by_result: dict[str, int] = {}
    for line in lines[1:]:
        by_result[line[7]] = by_result.get(line[7], 0) + 1
    assert by_result == {"ordered": 48, "invalid": 2}
    bad = next(line for line in lines if line[0] == "12")
    assert bad[1].startswith("'=")  # a formula in the file comes back as text, never as a formula
    assert all(not cell.startswith(("=", "+", "-", "@")) for line in lines for cell in line)


def test_a_reseller_float_too_small_for_the_whole_batch_refuses_it(inproc_stack):
    from tenant_apps.agents.floats import float_balances, hold_float
    from tenant_apps.bulk.models import BulkBatch
    from tenants.models import Tenant

    _admin, token = new_agent(FUNDS, schema="quickvend", role="operator_admin")
    quickvend = Tenant.objects.get(schema_name="quickvend")
    # Everything but 50.00 NGN of the float is held by (rolled-back) sales elsewhere.
    available = float_balances(reseller=quickvend).parent_balance
    if available > 5_000:
        with schema_context("quickvend"):
            hold_float(reseller=quickvend, order_ref=f"test-drain-{uuid.uuid4().hex}", amount_minor=available - 5_000,
                       currency="NGN")
    content = csv_file([(number, "", "100") for number in mtn_numbers(3)])
    response = upload(token, content, host="quickvend.localhost")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["counts"]["valid"] == 3
    assert body["funds"]["wallet"]["enough"] is True
    assert body["funds"]["float"]["enough"] is False and _minor(body["funds"]["float"]["available"]) <= 5_000
    refused = confirm(token, body["id"], host="quickvend.localhost")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "insufficient_float"
    with schema_context("quickvend"):
        assert BulkBatch.objects.get(public_id=body["id"]).status == "preview"



def test_a_float_exhausted_mid_batch_refuses_the_rest_in_the_uploaders_language(inproc_stack):
    """The float covered the whole batch at confirmation; other sales spend it before the rows' turn. The rows it
    no longer covers are ``refused`` with ``insufficient_float`` (the float never goes below zero) and say why in
    the uploader's language, like the preview and the confirmation did. The worker has no request: the messages
    were English ("The reseller's float at its operator cannot cover this sale.") for a French-speaking
    reseller (seen on Côte d'Ivoire's citop with a 3-line batch)."""
    from tenant_apps.agents.floats import float_balances, fund_float, hold_float
    from tenant_apps.bulk.models import BulkBatch
    from tenant_apps.bulk.services import bulk_process
    from tenants.models import Tenant

    admin, token = new_agent(FUNDS, schema="quickvend", role="operator_admin")
    with schema_context("quickvend"):
        admin.preferred_language = "fr"
        admin.save(update_fields=["preferred_language"])
    quickvend = Tenant.objects.get(schema_name="quickvend")
    fund_float(reseller=quickvend, amount_minor=FUNDS, reference=f"test-fund-{uuid.uuid4().hex}")
    content = csv_file([(number, "", "100") for number in mtn_numbers(3)])
    body = upload(token, content, host="quickvend.localhost").json()
    accepted = confirm(token, body["id"], host="quickvend.localhost")
    assert accepted.status_code == 202, accepted.content
    available = float_balances(reseller=quickvend).parent_balance
    one_row_cost = _minor(body["total_price"]) // 3  # more than one row's cost at the operation
    with schema_context("quickvend"):  # other sales leave room for one row only
        hold_float(reseller=quickvend, order_ref=f"test-drain-{uuid.uuid4().hex}",
                   amount_minor=available - one_row_cost, currency="NGN")
        done = bulk_process(batch_id=BulkBatch.objects.get(public_id=body["id"]).pk)
    assert done is not None and done.status == "completed"
    assert float_balances(reseller=quickvend).parent_balance >= 0
    final = get(token, f"/api/bulk-topups/{body['id']}", host="quickvend.localhost").json()
    assert final["counts"]["ordered"] == 1 and final["counts"]["refused"] == 2
    lines = list(csv.reader(io.StringIO(get(token, f"/api/bulk-topups/{body['id']}/results.csv",
                                            host="quickvend.localhost").content.decode())))
    refused = [line for line in lines[1:] if line[7] == "refused"]
    assert [line[10] for line in refused] == ["insufficient_float", "insufficient_float"]
    assert {line[11] for line in refused} == {"Le fonds du revendeur chez son opérateur ne couvre pas cette vente."}

def test_every_bad_row_says_why_and_bad_files_are_refused(inproc_stack, settings):
    _agent, token = new_agent(FUNDS)
    bundle, glo = inproc_stack.products["vt_data"], inproc_stack.products["vt_glo_airtime"]
    power = inproc_stack.products["vt_power"]
    mtn = mtn_numbers(8)
    rows = [
        (mtn[0], "", "100.001"),  # more decimals than the currency has
        (mtn[1], "", "١٠٠"),  # non-ASCII digits
        ("08051234567", str(bundle.pk), ""),  # a Glo number, an MTN bundle
        (mtn[2], str(power.pk), "1000"),  # not airtime or data
        (mtn[3], str(bundle.pk), "999"),  # a fixed bundle with another amount
        (mtn[4], "", ""),  # neither product nor amount
        (mtn[5], "", "100"),
        (mtn[5], "", "100"),  # the same top-up twice
        (mtn[6], "999999999", ""),  # no such product
        (mtn[7], str(glo.pk), "100"),  # Glo airtime for an MTN number
        ("", "", "100"),
        ("0803" + "1" * 60, "", "100"),  # a cell longer than any number
    ]
    body = upload(token, csv_file(rows)).json()
    codes = {row["line"]: (row["error"] or {}).get("code") for row in body["rows"]}
    assert codes == {2: "invalid_amount", 3: "invalid_amount", 4: "network_mismatch", 5: "unknown_product",
                     6: "amount_not_applicable", 7: "product_or_amount_required", 8: None, 9: "duplicate_row",
                     10: "unknown_product", 11: "network_mismatch", 12: "number_required", 13: "cell_too_long"}
    assert body["counts"]["valid"] == 1

    # Files: not text, empty, too many lines, too large; a header in French and ; separators work.
    assert upload(token, b"\x89PNG\r\n\x1a\n\x00\x00").json()["error"]["code"] == "invalid_file"
    assert upload(token, b"number,product,amount\r\n\r\n").json()["error"]["code"] == "empty_file"
    settings.BULK_TOPUP_MAX_ROWS = 3
    too_many = upload(token, csv_file([(n, "", "100") for n in mtn_numbers(4)]))
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "too_many_rows"
    settings.BULK_TOPUP_MAX_ROWS = 1000
    settings.BULK_TOPUP_MAX_FILE_BYTES = 64
    too_large = upload(token, csv_file([(n, "", "100") for n in mtn_numbers(5)]))
    assert too_large.status_code == 413 and too_large.json()["error"]["code"] == "file_too_large"
    settings.BULK_TOPUP_MAX_FILE_BYTES = 256 * 1024
    french = "numéro;montant\r\n" + "\r\n".join(f"{n};200" for n in mtn_numbers(2))
    french_body = upload(token, french.encode("utf-8-sig")).json()
    assert french_body["counts"] == {"rows": 2, "valid": 2, "invalid": 0, "waiting": 2, "ordered": 0, "refused": 0}


def test_who_may_use_it_and_whose_batches_they_see(inproc_stack, host_client):
    from tests.orders.helpers import new_buyer

    _agent, token = new_agent(FUNDS)
    body = upload(token, csv_file([(mtn_numbers(1)[0], "", "100")])).json()
    _customer, customer_token = new_buyer(FUNDS)
    _other, other_token = new_agent(FUNDS)
    _admin, admin_token = new_agent(FUNDS, role="operator_admin")
    with nothing_changes("ng", "sn"):  # no batch, no order, no hold, no ledger entry
        refused = upload(customer_token, csv_file([(mtn_numbers(1)[0], "", "100")]))
        assert refused.status_code == 403
        assert get(other_token, f"/api/bulk-topups/{body['id']}").status_code == 404
        assert confirm(other_token, body["id"]).status_code == 404
        assert get(other_token, f"/api/bulk-topups/{body['id']}/results.csv").status_code == 404
        # An ng batch does not exist on another tenant, whatever the token.
        assert get(token, f"/api/bulk-topups/{body['id']}", host="sn.localhost").status_code == 401
        # A country operation's admin is not a reseller: no bulk top-ups.
        assert upload(admin_token, csv_file([(mtn_numbers(1)[0], "", "100")])).status_code == 403


def test_prices_changed_since_the_preview_refuse_the_confirmation(inproc_stack):
    from tenant_apps.bulk.models import BulkBatch
    from tenant_apps.pricing.services import price_rule_create

    _agent, token = new_agent(FUNDS)
    body = upload(token, csv_file([(n, "", "100") for n in mtn_numbers(2)])).json()
    with schema_context("ng"):
        price_rule_create(mode="percent", percent_bp=900, product_type="airtime", priority=50)
    now = get(token, f"/api/bulk-topups/{body['id']}").json()
    assert _minor(now["total_price"]) > _minor(body["total_price"])
    assert now["pricing_version"] != body["pricing_version"]
    refused = confirm(token, body["id"], pricing_version=body["pricing_version"])
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "prices_changed"
    assert refused.json()["error"]["fields"]["pricing_version"] == [now["pricing_version"]]
    with schema_context("ng"):
        assert BulkBatch.objects.get(public_id=body["id"]).status == "preview"
    assert confirm(token, body["id"], pricing_version=now["pricing_version"]).status_code == 202


def test_a_batch_whose_worker_died_is_picked_up_again_and_orders_each_row_once(inproc_stack):
    from datetime import timedelta

    from django.utils import timezone

    from tenant_apps.bulk.models import BulkBatch, BulkRow
    from tenant_apps.bulk.services import bulk_process, bulk_sweep
    from tenant_apps.orders.models import Order

    agent, token = new_agent(FUNDS)
    body = upload(token, csv_file([(n, "", "100") for n in mtn_numbers(12)])).json()
    assert confirm(token, body["id"]).status_code == 202
    with schema_context("ng"):
        batch = BulkBatch.objects.get(public_id=body["id"])
        bulk_process(batch_id=batch.pk, limit=5)  # a worker places 5 orders, then dies
        assert Order.objects.filter(user=agent).count() == 5
        assert BulkRow.objects.filter(batch=batch, status="ready").count() == 7
        assert bulk_sweep() == 0  # its heartbeat is fresh: nobody takes over yet
        BulkBatch.objects.filter(pk=batch.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=5))
        assert bulk_sweep() == 1  # enqueued again (on commit)
        done = bulk_process(batch_id=batch.pk)
        assert done is not None and done.status == "completed"
        orders = Order.objects.filter(user=agent)
        assert orders.count() == 12 and len({order.dedupe_key for order in orders}) == 12
