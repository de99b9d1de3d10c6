"""The KYC tier limits as server-side functions: the one implementation of the single and daily limits.

``kyc.services`` (``kyc_reserve`` for every money flow through the risk gate, ``kyc_check_limits``) and
``purchase_accept`` (orders: the purchase accepted in one call) all call these:

* ``kyc_check(user, phone_verified, amount, currency, rules, day_start)``: which tier the user has reached
  (the highest ``level`` whose ``requires`` are all satisfied: ``phone`` when verified, each approved
  submission's scheme, each approved document's requirement), then the single limit, then today's spend
  plus this amount against the daily limit. Returns the tier's level; refuses with SQLSTATE ``NX001``,
  message ``kyc_limit_exceeded``, DETAIL ``{"limit": "none" | "single" | "daily", "level", "left"}``
  (``kyc.services.kyc_refusal`` words it). Reads only.
* ``kyc_reserve_spend(user, amount, currency, reference, rules, day_start, now)``: the user's row lock
  (rank ``user``: two spends of one user are judged one after the other, each seeing the other's row),
  then ``kyc_check``, then the spend row; a reference already counted is answered, not counted twice.

``rules`` is the country's data, passed by the caller (``kyc.services.kyc_rules_json``):
``{"tiers": [{"level", "single", "daily", "requires": [...]}], "documents": {kind: requirement}}``.
Created unqualified: one copy per tenant schema, reading that schema's tables.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION kyc_check(
    p_user bigint, p_phone_verified boolean, p_amount bigint, p_currency text, p_rules jsonb,
    p_day_start timestamptz)
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    v_satisfied text[];
    v_tier jsonb;
    v_spent bigint;
BEGIN
    -- What the user has proved.
    v_satisfied := ARRAY(
        SELECT 'phone' WHERE p_phone_verified
        UNION
        SELECT s.scheme FROM kyc_kycsubmission s WHERE s.user_id = p_user AND s.status = 'approved'
        UNION
        SELECT p_rules -> 'documents' ->> d.kind
          FROM kyc_kycdocument d JOIN kyc_kycsubmission s ON s.id = d.submission_id
         WHERE s.user_id = p_user AND s.status = 'approved' AND p_rules -> 'documents' ? d.kind);
    -- The highest tier whose requirements are all met.
    SELECT t INTO v_tier
      FROM jsonb_array_elements(p_rules -> 'tiers') AS t
     WHERE ARRAY(SELECT jsonb_array_elements_text(t -> 'requires')) <@ v_satisfied
     ORDER BY (t ->> 'level')::integer DESC
     LIMIT 1;
    IF v_tier IS NULL THEN
        RAISE EXCEPTION 'kyc_limit_exceeded' USING ERRCODE = 'NX001', DETAIL = '{"limit": "none"}';
    END IF;
    IF p_amount > (v_tier ->> 'single')::bigint THEN
        RAISE EXCEPTION 'kyc_limit_exceeded' USING ERRCODE = 'NX001',
            DETAIL = jsonb_build_object('limit', 'single', 'level', v_tier -> 'level')::text;
    END IF;
    -- Today's spend (reversals are negative rows), this amount included.
    SELECT COALESCE(SUM(amount_minor), 0) INTO v_spent
      FROM kyc_kycspend WHERE user_id = p_user AND currency = p_currency AND occurred_at >= p_day_start;
    IF v_spent + p_amount > (v_tier ->> 'daily')::bigint THEN
        RAISE EXCEPTION 'kyc_limit_exceeded' USING ERRCODE = 'NX001',
            DETAIL = jsonb_build_object('limit', 'daily', 'level', v_tier -> 'level',
                                        'left', GREATEST((v_tier ->> 'daily')::bigint - v_spent, 0))::text;
    END IF;
    RETURN (v_tier ->> 'level')::integer;
END
$fn$;

CREATE OR REPLACE FUNCTION kyc_reserve_spend(
    p_user bigint, p_amount bigint, p_currency text, p_reference text, p_rules jsonb,
    p_day_start timestamptz, p_now timestamptz,
    OUT spend_id bigint, OUT created boolean)
LANGUAGE plpgsql AS $fn$
DECLARE
    v_phone_verified_at timestamptz;
BEGIN
    -- The user's row lock (lock: user). Money that already arrived is counted for any account, active or not.
    SELECT phone_verified_at INTO v_phone_verified_at FROM accounts_user WHERE id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'account_not_found' USING ERRCODE = 'NX001', DETAIL = '{}';
    END IF;
    -- Counted before under this reference: answered as is (the row lock keeps a twin out until we commit).
    SELECT id INTO spend_id FROM kyc_kycspend WHERE user_id = p_user AND reference = p_reference;
    IF FOUND THEN
        created := false;
        RETURN;
    END IF;
    PERFORM kyc_check(p_user, v_phone_verified_at IS NOT NULL, p_amount, p_currency, p_rules, p_day_start);
    INSERT INTO kyc_kycspend (user_id, amount_minor, currency, reference, occurred_at)
    VALUES (p_user, p_amount, p_currency, p_reference, p_now)
    RETURNING id INTO spend_id;
    created := true;
END
$fn$;
"""

REVERSE = r"""
DROP FUNCTION IF EXISTS kyc_reserve_spend(bigint, bigint, text, text, jsonb, timestamptz, timestamptz);
DROP FUNCTION IF EXISTS kyc_check(bigint, boolean, bigint, text, jsonb, timestamptz);
"""


class Migration(migrations.Migration):
    dependencies = [("kyc", "0001_initial"), ("accounts", "0004_otp_purpose_step_up")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
