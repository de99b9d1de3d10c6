"""``purchase_accept``: the purchase accepted in ONE server-side call (issue 18).

After authentication, validation and pricing (Python, from the per-process memos), everything of an
acceptance that needs a lock or a row happens in this function, in this order (the global lock order of
``shared_apps.core.locks``: idempotency, user, ledger_account):

1. the Idempotency-Key (``idempotency_begin``: advisory lock, replay of the stored answer, 422 for another
   body) when the caller passes one;
2. a caller's ``dedupe_key`` (a subscription run): an order made under it before is answered as is;
3. the buyer's row lock and check (the account exists and is active);
4. the duplicate guard: the same product to the same recipient (and customer number) within the window,
   not refunded, is refused (``duplicate_purchase``, 409) unless the buyer confirmed it;
5. the KYC tier's single and daily limits and the spend row (``kyc_reserve_spend``);
6. the risk decision's record (``risk_record_decision``), when the caller judged no rule applies;
7. the wallet's conditional debit into the hold, balanced postings (``ledger_place_hold``; no overdraft:
   ``insufficient_funds``, 422);
8. the order, its first transitions (created, held) and its outbox row (none for an order held for a risk
   review) in one statement;
9. the key row with the answer the caller rendered beforehand (``idempotency_complete``).

Every rule lives in ONE function, called by every path: ``ledger_place_hold`` is ``place_hold`` for every
flow, ``kyc_reserve_spend`` is ``kyc_reserve``, ``idempotency_begin`` is ``run_idempotently``'s start.
Purchases that need Python in the middle (a tenant risk rule that applies, an agent's velocity, a reseller's
float on two schemas) call it in two stages inside their transaction: ``screen`` (steps 2-5), then the
Python rules and hooks, then ``hold`` (steps 7-8). Refusals raise SQLSTATE ``NX001`` (message: the API
error code, DETAIL: JSON figures); called in autocommit, a refusal rolls the whole call back, so nothing of a
refused purchase is written. ``p`` and the answer are described in ``tenant_apps.orders.acceptance``.
Created unqualified: one copy per tenant schema (migrate, the template script, ``clone_schema``).
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION purchase_accept(p jsonb) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    v_stage text := COALESCE(p ->> 'stage', 'all');
    v_now timestamptz := (p ->> 'now')::timestamptz;
    v_user bigint := (p ->> 'user')::bigint;
    v_order jsonb := p -> 'order';
    v_key jsonb := p -> 'idempotency';
    v_dup jsonb := p -> 'duplicate';
    v_price bigint := (v_order ->> 'price_minor')::bigint;
    v_currency text := v_order ->> 'currency';
    v_reference text := 'ord-' || replace(v_order ->> 'public_id', '-', '');
    v_stored jsonb;
    v_existing bigint;
    v_wallet bigint;
    v_hold record;
    v_order_id bigint;
BEGIN
    IF v_stage IN ('all', 'screen') THEN
        -- 1. The Idempotency-Key (lock: idempotency): a stored answer is replayed, nothing else runs.
        IF v_key IS NOT NULL AND jsonb_typeof(v_key) = 'object' THEN
            v_stored := idempotency_begin((v_key ->> 'lock')::bigint, v_user, v_key ->> 'key', v_key ->> 'method',
                                          v_key ->> 'path', v_key ->> 'body_hash');
            IF v_stored IS NOT NULL THEN
                RETURN jsonb_build_object('replay', v_stored);
            END IF;
        END IF;
        -- 2. A caller's dedupe key: made before, answered as is.
        IF p ->> 'dedupe_key' IS NOT NULL THEN
            SELECT id INTO v_existing FROM orders_order WHERE dedupe_key = p ->> 'dedupe_key';
            IF FOUND THEN
                RETURN jsonb_build_object('existing_order', v_existing);
            END IF;
        END IF;
        -- 3. The buyer (lock: user): racing purchases of one buyer are judged one after the other.
        PERFORM 1 FROM accounts_user WHERE id = v_user AND is_active FOR UPDATE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'account_inactive' USING ERRCODE = 'NX001', DETAIL = '{}';
        END IF;
        -- 4. The duplicate guard (NULL: the buyer confirmed a repeat).
        IF v_dup IS NOT NULL AND jsonb_typeof(v_dup) = 'object' AND EXISTS (
            SELECT 1 FROM orders_order
             WHERE user_id = v_user AND product_id = (v_dup ->> 'product')::bigint
               AND recipient_phone = v_dup ->> 'phone' AND customer_number = v_dup ->> 'customer_number'
               AND created_at >= (v_dup ->> 'since')::timestamptz
               AND status NOT IN ('released', 'reversed')) THEN
            RAISE EXCEPTION 'duplicate_purchase' USING ERRCODE = 'NX001', DETAIL = '{}';
        END IF;
        -- 5. The KYC tier's limits and the spend row.
        PERFORM kyc_reserve_spend(v_user, v_price, v_currency, v_reference, p -> 'kyc' -> 'rules',
                                  (p -> 'kyc' ->> 'day_start')::timestamptz, v_now);
        -- 6. The risk decision (the caller found no rule that applies to this purchase).
        IF p -> 'decision' IS NOT NULL AND jsonb_typeof(p -> 'decision') = 'object' THEN
            PERFORM risk_record_decision(p -> 'decision');
        END IF;
        IF v_stage = 'screen' THEN
            RETURN '{}'::jsonb;
        END IF;
    END IF;

    -- 7. The wallet's conditional debit into the hold (lock: ledger_account). No wallet: nothing to debit.
    SELECT id INTO v_wallet FROM ledger_account
     WHERE owner_id = v_user AND kind = p ->> 'wallet_kind' AND currency = v_currency;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insufficient_funds' USING ERRCODE = 'NX001', DETAIL = '{}';
    END IF;
    SELECT * INTO v_hold FROM ledger_place_hold(v_wallet, (p ->> 'holds')::bigint, v_price, v_reference,
        jsonb_build_object('order', v_order ->> 'public_id'), NULL, (p ->> 'hold_public_id')::uuid, v_now);

    -- 8. The order, its first transitions and its outbox row: one statement.
    WITH o AS (
        INSERT INTO orders_order (
            public_id, user_id, product_id, product_type, product_name, operator, recipient_phone,
            customer_number, customer_name, currency, face_value_minor, price_minor, quote, status, hold_id,
            dedupe_key, subscription_id, provider_reference, token, units, receipt_details, tax_lines,
            failure_reason, needs_review, attempt_count, requery_count, next_requery_at, created_at, updated_at,
            final_at)
        VALUES (
            (v_order ->> 'public_id')::uuid, v_user, (v_order ->> 'product_id')::bigint, v_order ->> 'product_type',
            v_order ->> 'product_name', COALESCE(v_order ->> 'operator', ''), v_order ->> 'recipient_phone',
            COALESCE(v_order ->> 'customer_number', ''), COALESCE(v_order ->> 'customer_name', ''), v_currency,
            (v_order ->> 'face_value_minor')::bigint, v_price, COALESCE(v_order -> 'quote', '{}'::jsonb), 'held',
            v_hold.hold_id, p ->> 'dedupe_key', (v_order ->> 'subscription_id')::bigint, '', '', '',
            COALESCE(v_order -> 'receipt_details', '{}'::jsonb), COALESCE(v_order -> 'tax_lines', '[]'::jsonb),
            '', COALESCE((v_order ->> 'needs_review')::boolean, false), 0, 0, NULL, v_now, v_now, NULL)
        RETURNING id
    ), t AS (
        INSERT INTO orders_ordertransition (order_id, from_status, to_status, reason, source, created_at)
        SELECT o.id, v.f, v.t, v.r, left(COALESCE(p ->> 'source', ''), 20), v_now
          FROM o CROSS JOIN (VALUES (0, '', 'created', ''),
                                    (1, 'created', 'held', left(COALESCE(p ->> 'held_reason', ''), 200)))
                             AS v(n, f, t, r)
         ORDER BY v.n
    ), b AS (
        INSERT INTO orders_orderoutbox (order_id, created_at, enqueued_at, enqueue_count)
        SELECT o.id, v_now, v_now, 1 FROM o WHERE COALESCE((p ->> 'outbox')::boolean, true)
    )
    SELECT id INTO v_order_id FROM o;

    -- 9. The key row with the answer rendered beforehand (same transaction: a key always has its writes).
    IF v_stage = 'all' AND v_key IS NOT NULL AND jsonb_typeof(v_key) = 'object' THEN
        PERFORM idempotency_complete(v_user, v_key ->> 'key', v_key ->> 'method', v_key ->> 'path',
                                     v_key ->> 'body_hash', (v_key ->> 'status')::integer, v_key -> 'body',
                                     v_key -> 'headers', v_now);
    END IF;
    RETURN jsonb_build_object('order', v_order_id, 'wallet', v_wallet, 'hold', v_hold.hold_id, 'hold_entry', v_hold.entry_id,
                              'hold_created', v_hold.created);
END
$fn$;
"""

REVERSE = "DROP FUNCTION IF EXISTS purchase_accept(jsonb);"


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_order_tax_lines"),
        ("ledger", "0007_place_hold_function"),
        ("kyc", "0002_kyc_limit_functions"),
        ("idempotency", "0002_idempotency_functions"),
        ("risk", "0003_record_decision_function"),
    ]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
