"""``ledger_place_hold``: placing a hold, as ONE server-side function (issue 18, "one round trip").

The one implementation of a hold placement: ``ledger.services.place_hold`` (every flow that holds money)
and ``purchase_accept`` (orders, the purchase accepted in one call) both call it. What it does, in order:

1. the ``hold_place`` journal entry, once per reference (``ON CONFLICT``: a concurrent twin waits, then
   skips); a reference placed before answers its first hold when the wallet and amount are the same,
   ``entry_reference_conflict`` otherwise;
2. the no-overdraft rule: the wallet's conditional ``UPDATE ... WHERE balance >= amount`` (the row lock,
   rank ``ledger_account``); a wallet that cannot cover it changes nothing: ``insufficient_funds``;
3. the two postings (wallet gives, holds account gains: balanced, checked again at COMMIT by the deferred
   trigger of migration 0002) and the hold row (``placed``).

Refusals are raised with SQLSTATE ``NX001``: the message is the API error code, the DETAIL a JSON object
(``shared_apps.core.db_refusals`` reads them). Created unqualified, so it lands in each tenant schema
(migrate, the template script and ``clone_schema`` all carry it) and reads that schema's tables.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION ledger_place_hold(
    p_wallet bigint, p_holds bigint, p_amount bigint, p_reference text, p_metadata jsonb,
    p_expires_at timestamptz, p_public_id uuid, p_now timestamptz,
    OUT hold_id bigint, OUT entry_id bigint, OUT created boolean, OUT wallet_balance bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_currency text;
    v_existing record;
BEGIN
    IF p_amount IS NULL OR p_amount <= 0 THEN
        RAISE EXCEPTION 'invalid_amount' USING ERRCODE = 'NX001', DETAIL = '{}';
    END IF;
    -- 1. The entry, once per reference.
    INSERT INTO ledger_journalentry (entry_type, reference, metadata, created_at)
    VALUES ('hold_place', p_reference, COALESCE(p_metadata, '{}'::jsonb), p_now)
    ON CONFLICT (entry_type, reference) DO NOTHING
    RETURNING id INTO entry_id;
    IF entry_id IS NULL THEN  -- placed before (or by a concurrent twin that committed first)
        SELECT h.id, h.wallet_id, h.amount, h.place_entry_id INTO v_existing
          FROM ledger_hold h WHERE h.reference = p_reference;
        IF NOT FOUND THEN  -- the reference's entry is not a hold's
            RAISE EXCEPTION 'entry_reference_conflict' USING ERRCODE = 'NX001',
                DETAIL = jsonb_build_object('reference', p_reference)::text;
        END IF;
        IF v_existing.wallet_id <> p_wallet OR v_existing.amount <> p_amount THEN
            RAISE EXCEPTION 'entry_reference_conflict' USING ERRCODE = 'NX001',
                DETAIL = jsonb_build_object('reference', p_reference)::text;
        END IF;
        hold_id := v_existing.id;
        entry_id := v_existing.place_entry_id;
        created := false;
        RETURN;
    END IF;
    -- 2. No overdraft: the debit happens only if the balance covers it (lock: ledger_account).
    UPDATE ledger_account SET balance = balance - p_amount
     WHERE id = p_wallet AND balance >= p_amount
    RETURNING currency, balance INTO v_currency, wallet_balance;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insufficient_funds' USING ERRCODE = 'NX001', DETAIL = '{}';
    END IF;
    -- 3. Balanced postings and the hold row (a holds account in another currency breaks the postings'
    --    (account, currency) foreign key: callers pass the holds account of the wallet's currency).
    INSERT INTO ledger_posting (entry_id, account_id, amount, currency)
    VALUES (entry_id, p_wallet, -p_amount, v_currency), (entry_id, p_holds, p_amount, v_currency);
    INSERT INTO ledger_hold (public_id, wallet_id, amount, currency, reference, status, settled_amount,
                             expires_at, created_at, closed_at, place_entry_id, close_entry_id)
    VALUES (COALESCE(p_public_id, gen_random_uuid()), p_wallet, p_amount, v_currency, p_reference, 'placed', NULL,
            p_expires_at, p_now, NULL, entry_id, NULL)
    RETURNING id INTO hold_id;
    created := true;
END
$fn$;
"""

REVERSE = r"""
DROP FUNCTION IF EXISTS ledger_place_hold(bigint, bigint, bigint, text, jsonb, timestamptz, uuid, timestamptz);
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0006_tax_payable_accounts")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
