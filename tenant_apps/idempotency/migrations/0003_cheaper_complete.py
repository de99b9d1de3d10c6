"""``idempotency_complete`` (0002) in PL/pgSQL; the keys' user index (issue 18).

0002 wrote it as a SQL function: its INSERT was parsed and planned again on every call (a SQL function called
from a statement keeps no plan between calls), ~0.2 ms of every purchase. The same INSERT in PL/pgSQL is
planned once per session. ``idempotency_idempotencykey.user_id`` loses its own index: the unique
(user, key) index leads with it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FORWARD = r"""
CREATE OR REPLACE FUNCTION idempotency_complete(
    p_user bigint, p_key text, p_method text, p_path text, p_body_hash text,
    p_status integer, p_body jsonb, p_headers jsonb, p_now timestamptz)
RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO idempotency_idempotencykey (user_id, key, method, path, body_hash, state, response_status,
                                            response_body, response_headers, created_at, completed_at)
    VALUES (p_user, p_key, p_method, p_path, p_body_hash, 'completed', p_status, p_body,
            COALESCE(p_headers, '{}'::jsonb), p_now, p_now);
END
$fn$;
"""

REVERSE = r"""
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


class Migration(migrations.Migration):
    dependencies = [
        ("idempotency", "0002_idempotency_functions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="idempotencykey",
            name="user",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE,
                                    related_name="idempotency_keys", to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunSQL(FORWARD, REVERSE),
    ]
