"""``risk_record_decision``: the risk gate's record of a decision, as a server-side function.

The one implementation of the record: ``risk.gate`` (every screened money movement) and ``purchase_accept``
(orders: the purchase accepted in one call, when no rule applies) both call it. Two writes:

* when the request names a device: its first-seen row (the user's first device is trusted at once), or its
  ``last_seen_at``/``last_ip`` refreshed at most once an hour;
* the decision, its ``recipient_new`` computed here (no counted decision of this user to that recipient
  yet), ``counted`` (it counts in later velocity windows).

``p`` is a JSON object of the decision's columns (``risk.gate.decision_json``). Created unqualified: one
copy per tenant schema.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION risk_record_decision(p jsonb) RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    v_user bigint := (p ->> 'user')::bigint;
    v_now timestamptz := (p ->> 'now')::timestamptz;
    v_recipient text := COALESCE(p ->> 'recipient', '');
    v_first_device boolean;
    v_id bigint;
BEGIN
    IF (p ->> 'record_device')::boolean THEN
        v_first_device := NOT EXISTS (SELECT 1 FROM risk_userdevice WHERE user_id = v_user);
        INSERT INTO risk_userdevice (public_id, user_id, device_hash, channel, user_agent, first_seen_at,
                                     last_seen_at, last_ip, trusted_at, trust_reason, signed_out_at)
        VALUES (gen_random_uuid(), v_user, p ->> 'device', p ->> 'channel', left(COALESCE(p ->> 'ua', ''), 200),
                v_now, v_now, (p ->> 'ip')::inet, CASE WHEN v_first_device THEN v_now END,
                CASE WHEN v_first_device THEN 'first_device' ELSE '' END, NULL)
        ON CONFLICT (user_id, device_hash) DO UPDATE
            SET last_seen_at = EXCLUDED.last_seen_at, last_ip = EXCLUDED.last_ip
          WHERE risk_userdevice.last_seen_at < EXCLUDED.last_seen_at - interval '1 hour';
    END IF;
    INSERT INTO risk_riskdecision (
        public_id, user_id, flow, product_type, product_id, amount_minor, currency, recipient_hash, recipient_new,
        recipient_label, device_hash, ip, channel, reference, subject_type, subject_id, outcome, rule_id,
        rule_name, reason, stepped_up, counted, completed_at, review_status, review_note, created_at)
    VALUES (
        COALESCE((p ->> 'public_id')::uuid, gen_random_uuid()), v_user, p ->> 'flow',
        COALESCE(p ->> 'product_type', ''), (p ->> 'product')::bigint, (p ->> 'amount')::bigint, p ->> 'currency',
        v_recipient,
        v_recipient <> '' AND NOT EXISTS (
            SELECT 1 FROM risk_riskdecision s WHERE s.user_id = v_user AND s.counted AND s.recipient_hash <> ''
               AND s.recipient_hash = v_recipient),
        left(COALESCE(p ->> 'label', ''), 60), COALESCE(p ->> 'device', ''), (p ->> 'ip')::inet,
        COALESCE(p ->> 'channel', 'system'), left(p ->> 'reference', 160), COALESCE(p ->> 'subject_type', ''),
        COALESCE(p ->> 'subject_id', ''), p ->> 'outcome', (p ->> 'rule')::bigint,
        left(COALESCE(p ->> 'rule_name', ''), 120), left(COALESCE(p ->> 'reason', ''), 200),
        COALESCE(p ->> 'stepped_up', ''), true, (p ->> 'completed_at')::timestamptz,
        COALESCE(p ->> 'review_status', ''), '', v_now)
    RETURNING id INTO v_id;
    RETURN v_id;
END
$fn$;
"""

REVERSE = "DROP FUNCTION IF EXISTS risk_record_decision(jsonb);"


class Migration(migrations.Migration):
    dependencies = [("risk", "0002_merchant_payment_flow")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
