"""Today's spend summed from the index alone (issue 18: every purchase sums it).

``kyc_check`` adds up the user's spends since the day's start: 0003's index found them but each row was read from
the heap (one buffer visit per spend today, ~2 µs each: a buyer with 400 purchases today paid ~0.9 ms per
purchase). The index now includes ``amount_minor`` (``kyc_spend_day``): an index-only scan, the heap visited
only for pages not yet marked all-visible. A spend table is insert-mostly, so autovacuum (which sets those
marks) runs after every 1,000 rows inserted, not after a fifth of the table.

``kyc_check`` runs its statements with generic plans (``plan_cache_mode``): PL/pgSQL's plan cache kept choosing a
custom plan for the day's sum (planned again on every call: with the day's start unknown, the generic plan's
estimate is a third of the user's rows, so the custom one always looked cheaper), and the plan is the same
index-only scan either way.
"""

from django.db import migrations, models

FORWARD = r"""
ALTER TABLE kyc_kycspend SET (autovacuum_vacuum_insert_threshold = 1000,
                              autovacuum_vacuum_insert_scale_factor = 0);
ALTER FUNCTION kyc_check(bigint, boolean, bigint, text, jsonb, timestamptz) SET plan_cache_mode = force_generic_plan;
"""

REVERSE = r"""
ALTER TABLE kyc_kycspend RESET (autovacuum_vacuum_insert_threshold, autovacuum_vacuum_insert_scale_factor);
ALTER FUNCTION kyc_check(bigint, boolean, bigint, text, jsonb, timestamptz) RESET plan_cache_mode;
"""


class Migration(migrations.Migration):
    dependencies = [("kyc", "0003_cheaper_limit_check")]

    operations = [
        migrations.RemoveIndex(model_name="kycspend", name="kyc_kycspen_user_id_9bab76_idx"),
        migrations.AddIndex(
            model_name="kycspend",
            index=models.Index(fields=["user", "currency", "occurred_at"], include=["amount_minor"],
                               name="kyc_spend_day"),
        ),
        migrations.RunSQL(FORWARD, REVERSE),
    ]
