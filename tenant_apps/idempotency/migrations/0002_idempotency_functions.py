"""The Idempotency-Key rules as server-side functions: the one implementation of lock, replay and 422.

``idempotency.services.run_idempotently`` (every money-moving endpoint, page and USSD step) and
``purchase_accept`` (orders: the purchase accepted in one call) both call these:

* ``idempotency_begin(lock, user, key, method, path, body_hash)``: the (schema, user, key) advisory lock
  without waiting (rank ``idempotency``: a twin in flight is refused with ``idempotency_in_flight``, 409),
  then ``idempotency_stored``;
* ``idempotency_stored(user, key, method, path, body_hash)``: NULL when the key has no answer yet; the
  stored answer ``{"status", "body", "headers"}`` for the same request (method, path, body hash): the
  caller replays it; ``idempotency_key_reused`` (422) for another request under the same key;
* ``idempotency_complete(...)``: the key row with its answer, written in the request's transaction (so a
  key row always belongs to writes that committed).

Refusals: SQLSTATE ``NX001``, the message is the API code. Created unqualified: one copy per tenant schema.
"""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION idempotency_stored(
    p_user bigint, p_key text, p_method text, p_path text, p_body_hash text)
RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    v_row record;
BEGIN
    SELECT method, path, body_hash, response_status, response_body, response_headers INTO v_row
      FROM idempotency_idempotencykey WHERE user_id = p_user AND key = p_key;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    IF (v_row.method, v_row.path, v_row.body_hash) IS DISTINCT FROM (p_method, p_path, p_body_hash) THEN
        RAISE EXCEPTION 'idempotency_key_reused' USING ERRCODE = 'NX001', DETAIL = '{}';
    END IF;
    RETURN jsonb_build_object('status', v_row.response_status, 'body', v_row.response_body,
                              'headers', v_row.response_headers);
END
$fn$;

CREATE OR REPLACE FUNCTION idempotency_begin(
    p_lock bigint, p_user bigint, p_key text, p_method text, p_path text, p_body_hash text)
RETURNS jsonb
LANGUAGE plpgsql AS $fn$
BEGIN
    -- lock: idempotency (first lock of the request; never waits).
    IF NOT pg_try_advisory_xact_lock(p_lock) THEN
        RAISE EXCEPTION 'idempotency_in_flight' USING ERRCODE = 'NX001', DETAIL = '{}';
    END IF;
    RETURN idempotency_stored(p_user, p_key, p_method, p_path, p_body_hash);
END
$fn$;

CREATE OR REPLACE FUNCTION idempotency_complete(
    p_user bigint, p_key text, p_method text, p_path text, p_body_hash text,
    p_status integer, p_body jsonb, p_headers jsonb, p_now timestamptz)
RETURNS void
LANGUAGE sql AS $fn$
    INSERT INTO idempotency_idempotencykey (user_id, key, method, path, body_hash, state, response_status,
                                            response_body, response_headers, created_at, completed_at)
    VALUES (p_user, p_key, p_method, p_path, p_body_hash, 'completed', p_status, p_body,
            COALESCE(p_headers, '{}'::jsonb), p_now, p_now);
$fn$;
"""

REVERSE = r"""
DROP FUNCTION IF EXISTS idempotency_complete(bigint, text, text, text, text, integer, jsonb, jsonb, timestamptz);
DROP FUNCTION IF EXISTS idempotency_begin(bigint, bigint, text, text, text, text);
DROP FUNCTION IF EXISTS idempotency_stored(bigint, text, text, text, text);
"""


class Migration(migrations.Migration):
    dependencies = [("idempotency", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
