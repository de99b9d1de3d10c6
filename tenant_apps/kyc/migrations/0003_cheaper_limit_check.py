"""``kyc_check`` (0002) with the same answers in fewer, simpler steps; the spends' user index (issue 18).

0002's check read what the user proved with a three-branch UNION (sorted to remove duplicates) into an array,
then picked the tier with a second query (the tiers unnested, each one's requirements unnested again by a
sub-select, sorted). Here the proofs come from ONE read (the approved submissions with their documents) as a
JSON array, and the tier is picked by a loop over the tiers with JSON containment (``@>``: every requirement
is among the proofs): plain expressions, no query. The rules are unchanged: the highest ``level`` whose
``requires`` are all met (none: ``requires`` absent or empty), then the single limit, then today's spend;
the same refusals with the same DETAIL. ``tests/kyc`` and the purchase rule tests run against it.

``kyc_kycspend.user_id`` loses its own index: both of the table's indexes lead with it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FORWARD = r"""
CREATE OR REPLACE FUNCTION kyc_check(
    p_user bigint, p_phone_verified boolean, p_amount bigint, p_currency text, p_rules jsonb,
    p_day_start timestamptz)
RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    v_documents jsonb := p_rules -> 'documents';
    v_tiers jsonb := p_rules -> 'tiers';
    v_proved jsonb;
    v_tier jsonb;
    v_each jsonb;
    v_spent bigint;
BEGIN
    -- What the user has proved (a JSON array): each approved submission's scheme, each approved document's
    -- requirement, the phone when verified.
    SELECT COALESCE(jsonb_agg(s.scheme), '[]'::jsonb)
           || COALESCE(jsonb_agg(v_documents -> d.kind) FILTER (WHERE v_documents ? d.kind), '[]'::jsonb)
      INTO v_proved
      FROM kyc_kycsubmission s LEFT JOIN kyc_kycdocument d ON d.submission_id = s.id
     WHERE s.user_id = p_user AND s.status = 'approved';
    IF p_phone_verified THEN
        v_proved := v_proved || '["phone"]'::jsonb;
    END IF;
    -- The highest tier whose requirements are all met.
    FOR i IN 0 .. COALESCE(jsonb_array_length(v_tiers), 0) - 1 LOOP
        v_each := v_tiers -> i;
        IF v_proved @> COALESCE(v_each -> 'requires', '[]'::jsonb)
           AND (v_tier IS NULL OR (v_each ->> 'level')::integer > (v_tier ->> 'level')::integer) THEN
            v_tier := v_each;
        END IF;
    END LOOP;
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
"""


def _previous_check() -> str:
    """0002's ``kyc_check`` (its file also creates ``kyc_reserve_spend``, unchanged here)."""
    from importlib import import_module

    forward = import_module("tenant_apps.kyc.migrations.0002_kyc_limit_functions").FORWARD
    return forward[:forward.index("CREATE OR REPLACE FUNCTION kyc_reserve_spend")]


class Migration(migrations.Migration):
    dependencies = [
        ("kyc", "0002_kyc_limit_functions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="kycspend",
            name="user",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="kyc_spends", to=settings.AUTH_USER_MODEL),
        ),
        migrations.RunSQL(FORWARD, reverse_sql=_previous_check()),
    ]
