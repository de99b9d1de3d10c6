"""Purchases end to end through the real stack: HTTP API -> hold -> outbox -> Celery worker -> simulator.

Every test checks the books (ledger balanced per currency, wallet == its postings == expected) and the
simulator's own delivery record (exactly one fulfilment, or none).
"""

from __future__ import annotations

from django_tenants.utils import schema_context

from tests.orders.helpers import (
    assert_books,
    attempts,
    buy,
    new_buyer,
    transitions,
    wait_final,
    wait_for,
    webhook,
)

FUNDS = 1_000_000  # 10 000.00 NGN


def _price(response) -> int:
    from tenant_apps.ledger.currency import to_minor

    return to_minor(response.json()["price"], "NGN")


def test_success_settles_once(live_db, stack):
    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["vt_airtime"], stack.phone(), amount="100.00")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "processing"
    price = _price(response)
    assert price == 9_894  # face 100.00 at 97 % cost (9 700) + 2 % tenant margin, half-up
    order = wait_final(body["id"])
    assert order.status == "settled"
    assert transitions(order) == [("", "created"), ("created", "held"), ("held", "submitted"),
                                  ("submitted", "succeeded"), ("succeeded", "settled")]
    [attempt] = attempts(order)
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    assert order.provider_reference
    assert_books(user, FUNDS - price)
    # The receipt says so plainly.
    from tests.orders.helpers import api

    receipt = api("GET", f"/api/purchases/{body['id']}", token).json()
    assert receipt["status"] == "delivered" and receipt["provider_reference"] == order.provider_reference
    sms = wait_for(lambda: stack.sms.messages(to=user.phone), what="delivery SMS")  # sent by the worker
    assert "was delivered" in sms[0]["sms"]


def test_definite_failure_everywhere_refunds(live_db, stack):
    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["vt_airtime"], stack.phone("9990"), amount="150.00")
    assert response.status_code == 202, response.content
    order = wait_final(response.json()["id"])
    assert order.status == "released"
    tried = attempts(order)
    # VTPass failed definitely -> failed over to DT One, which declined too -> refund.
    assert [a.plugin_key for a in tried] == ["vtpass", "dtone"]
    assert all(a.status == "failed" for a in tried)
    assert stack.vtpass.delivery_count(tried[0].request_id) == 0
    assert stack.dtone.delivery_count(tried[1].request_id) == 0
    assert ("failed", "released") in transitions(order)
    assert_books(user, FUNDS)
    sms = wait_for(lambda: stack.sms.messages(to=user.phone), what="refund SMS")
    assert "back in your wallet" in sms[0]["sms"]


def test_pending_then_requery_then_success(live_db, stack):
    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["vt_airtime"], stack.phone("9991"), amount="200.00")
    assert response.status_code == 202
    order = wait_final(response.json()["id"])
    assert order.status == "settled"
    steps = transitions(order)
    assert ("submitted", "pending") in steps and ("pending", "succeeded") in steps
    [attempt] = attempts(order)
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    assert_books(user, FUNDS - _price(response))


def test_pending_then_webhook_then_success(live_db, stack):
    stack.vtpass.pending_requeries = 10_000  # requeries keep saying pending: only the webhook can finish it
    try:
        user, token = new_buyer(FUNDS)
        response = buy(token, stack.products["vt_airtime"], stack.phone("9991"), amount="250.00")
        order_id = response.json()["id"]
        order = wait_final(order_id, statuses={"pending"})
        [attempt] = attempts(order)
        stack.vtpass.resolve_pending(attempt.request_id)
        body, headers = stack.vtpass.build_callback(attempt.request_id)
        answer = webhook("/webhook/vtpass", body, headers)
        assert answer.status_code == 200 and answer.json() == {"response": "success"}
        order = wait_final(order_id)
        assert order.status == "settled"
        with schema_context("ng"):
            from tenant_apps.orders.models import OrderTransition

            settled_by = OrderTransition.objects.get(order_id=order.pk, to_status="succeeded").source
        assert settled_by in ("webhook+requery", "requery")
        assert stack.vtpass.delivery_count(attempt.request_id) == 1
        assert_books(user, FUNDS - _price(response))
    finally:
        stack.vtpass.pending_requeries = 1


def test_unsigned_vtpass_webhook_is_confirmed_by_requery(live_db, stack):
    """A forged 'delivered' callback for a pending order changes nothing: the requery says pending."""
    stack.vtpass.pending_requeries = 10_000
    try:
        user, token = new_buyer(FUNDS)
        response = buy(token, stack.products["vt_airtime"], stack.phone("9991"), amount="260.00")
        order = wait_final(response.json()["id"], statuses={"pending"})
        [attempt] = attempts(order)
        txn = stack.vtpass.transactions[attempt.request_id]
        body = stack.vtpass._txn_body(txn)
        body["content"]["transactions"]["status"] = "delivered"
        import json

        forged = json.dumps({"type": "transaction-update", "data": body}).encode()
        assert webhook("/webhook/vtpass", forged, {}).status_code == 200
        order = wait_final(response.json()["id"], statuses={"pending"})
        assert stack.vtpass.delivery_count(attempt.request_id) == 0
        stack.vtpass.resolve_pending(attempt.request_id)
        order = wait_final(response.json()["id"], timeout=20)
        assert order.status == "settled"
        assert stack.vtpass.delivery_count(attempt.request_id) == 1
        assert_books(user, FUNDS - _price(response))
    finally:
        stack.vtpass.pending_requeries = 1


def test_timeout_then_late_success_never_fails_over(live_db, stack):
    """VTPass acts, then hangs past our timeout: pending (not failed), requery finds it delivered."""
    user, token = new_buyer(FUNDS)
    response = buy(token, stack.products["vt_airtime"], stack.phone("9992"), amount="300.00")
    order = wait_final(response.json()["id"], timeout=20)
    assert order.status == "settled"
    [attempt] = attempts(order)  # never failed over on an unclear answer
    assert attempt.plugin_key == "vtpass"
    assert ("submitted", "pending") in transitions(order)
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    assert not any(d.recipient.endswith(order.recipient_phone[-10:]) for d in stack.dtone.deliveries)
    assert_books(user, FUNDS - _price(response))


def test_definite_failure_fails_over_to_next_provider(live_db, stack):
    from provider_plugins.simkit.simulator import FaultMode

    user, token = new_buyer(FUNDS)
    stack.vtpass.set_fault(FaultMode.FAILURE, times=1)
    try:
        response = buy(token, stack.products["vt_airtime"], stack.phone(), amount="120.00")
        order = wait_final(response.json()["id"])
    finally:
        stack.vtpass.clear_fault()
    assert order.status == "settled"
    first, second = attempts(order)
    assert (first.plugin_key, first.status, second.plugin_key, second.status) == (
        "vtpass", "failed", "dtone", "succeeded")
    assert stack.vtpass.delivery_count(first.request_id) == 0
    assert stack.dtone.delivery_count(second.request_id) == 1
    assert ("failed", "submitted") in transitions(order)
    # DT One's own price (a little lower) is what the buyer pays; the rest of the hold comes back.
    assert int(second.quote["price_minor"]) <= _price(response)
    assert_books(user, FUNDS - int(second.quote["price_minor"]))


def test_insufficient_funds_writes_nothing(live_db, stack):
    user, token = new_buyer(5_000)
    response = buy(token, stack.products["vt_airtime"], stack.phone(), amount="100.00")
    assert response.status_code == 422 and response.json()["error"]["code"] == "insufficient_funds"
    with schema_context("ng"):
        from tenant_apps.orders.models import Order

        assert not Order.objects.filter(user=user).exists()
    assert_books(user, 5_000)


def test_electricity_receipt_has_token_and_units_and_verify_names_the_customer(live_db, stack):
    from tests.orders.helpers import api

    user, token = new_buyer(FUNDS)
    meter = "1111111111111"
    verified = api("POST", "/api/purchase/verify", token,
                   {"product_id": stack.products["vt_power"].pk, "customer_number": meter})
    assert verified.status_code == 200, verified.content
    assert verified.json()["name"] == "TESTMETER1" and verified.json()["address"]
    bad = api("POST", "/api/purchase/verify", token,
              {"product_id": stack.products["vt_power"].pk, "customer_number": "1234567890000"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_customer"
    missing = buy(token, stack.products["vt_power"], stack.phone(), amount="1000.00")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "customer_number_required"
    response = buy(token, stack.products["vt_power"], stack.phone(), amount="1000.00", customer_number=meter)
    assert response.status_code == 202, response.content
    assert response.json()["customer_name"] == "TESTMETER1"
    order = wait_final(response.json()["id"])
    assert order.status == "settled"
    receipt = api("GET", f"/api/purchases/{order.public_id}", token).json()
    assert receipt["status"] == "delivered"
    assert len(receipt["token"].replace("-", "")) == 20 and receipt["units"].endswith("kWh")
    [attempt] = attempts(order)
    assert stack.vtpass.delivery_count(attempt.request_id) == 1
    assert_books(user, FUNDS - _price(response))


def test_receipts_list_filters_and_pending_says_so(live_db, stack):
    from tests.orders.helpers import api

    stack.vtpass.pending_requeries = 10_000
    try:
        user, token = new_buyer(FUNDS)
        done = buy(token, stack.products["vt_data"], stack.phone())
        slow = buy(token, stack.products["vt_airtime"], stack.phone("9991"), amount="100.00")
        wait_final(done.json()["id"])
        wait_final(slow.json()["id"], statuses={"pending"})
        listing = api("GET", "/api/purchases", token).json()
        assert listing["count"] == 2
        assert [r["id"] for r in listing["results"]] == [slow.json()["id"], done.json()["id"]]
        pending = api("GET", f"/api/purchases/{slow.json()['id']}", token).json()
        assert pending["status"] == "processing" and pending["message"].startswith("Still processing")
        assert "token" not in pending
        only_delivered = api("GET", "/api/purchases", token, {"status": "delivered"}).json()
        assert [r["id"] for r in only_delivered["results"]] == [done.json()["id"]]
        assert api("GET", "/api/purchases", token, {"product_type": "data"}).json()["count"] == 1
        # Another user never sees these receipts.
        _, other = new_buyer(0)
        assert api("GET", f"/api/purchases/{slow.json()['id']}", other).status_code == 404
        assert api("GET", "/api/purchases", other).json()["count"] == 0
        order = order_row_for(slow.json()["id"])
        stack.vtpass.resolve_pending(attempts(order)[0].request_id)
        wait_final(slow.json()["id"], timeout=20)
        assert_books(user, FUNDS - _price(done) - _price(slow))
    finally:
        stack.vtpass.pending_requeries = 1


def order_row_for(public_id):
    from tests.orders.helpers import order_row

    return order_row(public_id)


def test_duplicate_guard_needs_confirmation(live_db, stack):
    from tests.orders.helpers import api

    user, token = new_buyer(FUNDS)
    phone = stack.phone()
    first = buy(token, stack.products["vt_data"], phone)
    assert first.status_code == 202
    again = buy(token, stack.products["vt_data"], phone)
    assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_purchase"
    confirmed = buy(token, stack.products["vt_data"], phone, confirm_duplicate=True)
    assert confirmed.status_code == 202
    # The same Idempotency-Key replays the first answer instead of buying again.
    key = "replay-key-1"
    body = {"product_id": stack.products["vt_data"].pk, "recipient_phone": stack.phone()}
    one = api("POST", "/api/purchase", token, body, key=key)
    two = api("POST", "/api/purchase", token, body, key=key)
    assert one.status_code == two.status_code == 202 and one.json()["id"] == two.json()["id"]
    assert two["Idempotency-Replayed"] == "true"
    for response in (first, confirmed, one):
        assert wait_final(response.json()["id"]).status == "settled"
    assert_books(user, FUNDS - 3 * _price(first))


def test_recipient_checks(live_db, stack):
    user, token = new_buyer(FUNDS)
    glo_number = "08051234567"
    refused = buy(token, stack.products["vt_airtime"], glo_number, amount="100.00")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "recipient_network_mismatch"
    glo = buy(token, stack.products["vt_glo_airtime"], glo_number, amount="100.00")
    assert glo.status_code == 202
    bad = buy(token, stack.products["vt_airtime"], "12345", amount="100.00")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_recipient"
    out_of_range = buy(token, stack.products["vt_airtime"], stack.phone(), amount="1.00")
    assert out_of_range.status_code == 400 and out_of_range.json()["error"]["code"] == "invalid_amount"
    unknown = buy(token, type("P", (), {"pk": 999_999_999})(), stack.phone(), amount="100.00")
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "product_not_found"
    order = wait_final(glo.json()["id"])
    assert order.status == "settled" and stack.vtpass.delivery_count(attempts(order)[0].request_id) == 1
    assert_books(user, FUNDS - _price(glo))


def test_kyc_limit_and_phone_verification(live_db, stack):
    from tenant_apps.accounts.models import User

    user, token = new_buyer(10_000_000)
    too_much = buy(token, stack.products["vt_airtime"], stack.phone(), amount="10000.00")  # tier 0 single: 5 000
    assert too_much.status_code == 403 and too_much.json()["error"]["code"] == "kyc_limit_exceeded"
    with schema_context("ng"):
        User.objects.filter(pk=user.pk).update(phone_verified_at=None)
    refused = buy(token, stack.products["vt_airtime"], stack.phone(), amount="100.00")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "phone_not_verified"
    assert_books(user, 10_000_000)


def test_circuit_breaker_skips_a_failing_provider(live_db, stack, settings):
    from tenant_apps.orders import routing

    settings.ORDERS_BREAKER_PREFIX = f"{stack.breaker_prefix}-unit"
    vt, dt = stack.vtpass_provider, stack.dtone_provider
    routing.breaker_reset(vt)
    product = stack.products["vt_airtime"]
    order = [p.provider_id for p in routing.route(product=product, amount_minor=10_000)][:2]
    assert order == [vt.pk, dt.pk]
    for _ in range(settings.ORDERS_BREAKER_FAILURES - 1):
        assert routing.breaker_record_failure(vt) is False
    assert routing.breaker_record_failure(vt) is True
    assert routing.breaker_is_open(vt)
    ids = [p.provider_id for p in routing.route(product=product, amount_minor=10_000)]
    assert ids.index(dt.pk) < ids.index(vt.pk)  # skipped while cooling off (kept last, as a fallback)
    routing.breaker_reset(vt)
    assert not routing.breaker_is_open(vt)


def test_routing_finds_the_equivalents_the_orm_found(live_db, stack):
    """``routing._equivalent_products`` (its SQL written out, other networks left out before instances are made)
    against the queryset and filters it stands for, for the stack's named products (top-ups, bills, fixed and
    open amounts) at a few amounts, with a provider disabled too: the same products, fields and providers, in
    the same order."""
    from django.db.models import Q

    from shared_apps.catalog.models import Product
    from shared_apps.providers.models import Provider, ProviderStatus
    from tenant_apps.orders import routing

    def orm(product: Product, amount: int) -> list[Product]:  # the ORM version it replaced
        candidates = (Product.objects.select_related("provider")
                      .filter(country=product.country, currency=product.currency, product_type=product.product_type,
                              is_active=True).exclude(provider__status=ProviderStatus.DISABLED))
        if product.is_open_amount:
            candidates = candidates.filter(face_value_minor__isnull=True, min_amount_minor__lte=amount,
                                           max_amount_minor__gte=amount)
        else:
            candidates = candidates.filter(face_value_minor=product.face_value_minor)
        if product.biller_code:
            candidates = candidates.filter(Q(biller_code=product.biller_code) | Q(pk=product.pk))
        network = routing.operator_network(product.operator)
        found = [c for c in candidates if c.pk == product.pk or routing.operator_network(c.operator) == network]
        if product.variation:
            found = [c for c in found if c.variation == product.variation]
        found.sort(key=lambda c: (c.provider.status != ProviderStatus.ACTIVE, c.provider.routing_priority,
                                  c.pk != product.pk, c.provider.name))
        if product.provider.status == ProviderStatus.DISABLED or not product.is_active:
            found = [c for c in found if c.pk != product.pk]
        return found

    def state(products: list[Product]) -> list[tuple]:
        return [(tuple(getattr(p, f.attname) for f in Product._meta.concrete_fields),
                 tuple(getattr(p.provider, f.attname) for f in Provider._meta.concrete_fields)) for p in products]

    dt = stack.dtone_provider
    status = Provider.objects.get(pk=dt.pk).status
    try:
        for disabled in (False, True):
            if disabled:
                Provider.objects.filter(pk=dt.pk).update(status=ProviderStatus.DISABLED)
            checked = 0
            for product in Product.objects.select_related("provider").filter(
                    pk__in=[p.pk for p in stack.products.values()]):
                for amount in {product.face_value_minor or 0, product.min_amount_minor or 0, 10_000, 1}:
                    expected = orm(product, amount)
                    assert state(routing._equivalent_products(product=product, amount_minor=amount)) == state(expected)
                    checked += bool(expected)
            assert checked > 5
    finally:
        Provider.objects.filter(pk=dt.pk).update(status=status)


def test_exam_pin_and_motor_insurance_through_vtpass_with_pin_and_certificate_on_the_receipt(live_db, stack):
    from tests.orders.helpers import api

    user, token = new_buyer(FUNDS)
    waec = buy(token, stack.products["vt_waec"], stack.phone())  # the PIN goes to this phone: no customer number
    assert waec.status_code == 202, waec.content
    order = wait_final(waec.json()["id"])
    assert order.status == "settled"
    receipt = api("GET", f"/api/purchases/{waec.json()['id']}", token).json()
    [card] = receipt["pins"]
    assert card["serial"].startswith("WRN") and receipt["token"] == card["pin"]
    refused = buy(token, stack.products["vt_insurance"], stack.phone(), customer_number="LAG123XY",
                  details={"Insured_Name": "Chioma Adebayo"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "details_required"
    vehicle = {"Insured_Name": "Chioma Adebayo", "engine_capacity": "1.8", "Chasis_Number": "JTDBR32E720123456",
               "vehicle_make": "Toyota", "vehicle_color": "Silver", "vehicle_model": "Corolla", "YearofMake": "2016",
               "state": "Lagos", "lga": "Ikeja", "email": "chioma@example.test"}
    policy = buy(token, stack.products["vt_insurance"], stack.phone(), customer_number="LAG123XY", details=vehicle)
    assert policy.status_code == 202, policy.content
    assert wait_final(policy.json()["id"]).status == "settled"
    receipt = api("GET", f"/api/purchases/{policy.json()['id']}", token).json()
    assert receipt["certificate"]["number"].startswith("UI/") and receipt["token"] == receipt["certificate"]["number"]
    [attempt] = attempts(wait_final(policy.json()["id"]))
    assert stack.vtpass.transactions[attempt.request_id].customer == "LAG123XY"
    assert_books(user, FUNDS - _price(waec) - _price(policy))


def test_sandbox_mode_lets_only_the_providers_own_test_numbers_through(live_db, stack):
    from tenants.models import Tenant

    user, token = new_buyer(FUNDS)
    refused = buy(token, stack.products["vt_airtime"], "08011111111", amount="100.00")
    assert refused.status_code == 400  # a staging number on a live tenant: refused before any provider
    ng = Tenant.objects.get(schema_name="ng")
    ng.sandbox_mode = True
    ng.save()
    try:
        accepted = buy(token, stack.products["vt_airtime"], "08011111111", amount="100.00")
        assert accepted.status_code == 202, accepted.content
        pending = buy(token, stack.products["vt_airtime"], "201000000000", amount="101.00")
        assert pending.status_code == 202, pending.content
        other = buy(token, stack.products["dt_airtime"], "08011111111", amount="100.00")
        assert other.status_code == 400  # VTPass's test numbers are VTPass's: not DT One's
        assert wait_final(accepted.json()["id"]).status == "settled"
        order = wait_final(pending.json()["id"])
        assert order.status == "settled" and ("submitted", "pending") in transitions(order)
        assert order.recipient_phone == "201000000000"
    finally:
        ng.sandbox_mode = False
        ng.save()
    assert_books(user, FUNDS - _price(accepted) - _price(pending))
