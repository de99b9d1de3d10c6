"""Fewer writes per order, and ``purchase_accept`` (0005) without a table-function scan (issue 18).

* The buyer's foreign key has no index of its own: ``order_user_created`` and ``order_duplicate_guard`` lead
  with ``user_id`` (every order written paid for a third copy).
* ``dedupe_key`` is unique where set: a partial unique index (``order_dedupe_key_once``) instead of a unique
  constraint holding a NULL entry for every order without a key, and its ``varchar_pattern_ops`` copy
  (nothing compares it with LIKE on a hot path) goes.
* ``purchase_accept`` assigns ``ledger_place_hold``'s result (one row of OUT parameters) instead of reading it
  with ``SELECT * FROM``: a function call evaluated directly, not a query with a function scan to start and
  materialize. Nothing else in the function changes.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

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
    v_hold := ledger_place_hold(v_wallet, (p ->> 'holds')::bigint, v_price, v_reference,
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



def _previous_function() -> str:
    from importlib import import_module

    return import_module("tenant_apps.orders.migrations.0005_purchase_accept_function").FORWARD


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0008_cheaper_entry_checks"),
        ("orders", "0006_outbox_claims"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="order",
            name="dedupe_key",
            field=models.CharField(blank=True, max_length=120, null=True),
        ),
        migrations.AlterField(
            model_name="order",
            name="user",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="orders", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddConstraint(
            model_name="order",
            constraint=models.UniqueConstraint(condition=models.Q(("dedupe_key__isnull", False)), fields=("dedupe_key",), name="order_dedupe_key_once"),
        ),
        migrations.RunSQL(FORWARD, reverse_sql=_previous_function()),
    ]
