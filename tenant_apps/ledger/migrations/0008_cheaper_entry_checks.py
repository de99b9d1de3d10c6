"""The deferred ledger checks of migration 0002, the same rules at a fraction of the cost (issue 18).

0002's trigger functions built their query with ``format()`` and ran it with ``EXECUTE`` on every call (a
parse and a plan per posting row at COMMIT: ~40 % of a purchase's deferred work). They now run a plain
statement, planned once per session and trigger, whenever its unqualified table name is certainly the
trigger's own table: the trigger's schema is the first one on the search path and the session has no
temporary schema (which would be searched first). Otherwise (a transaction writing another tenant's schema,
a session with temporary tables) they run 0002's dynamic statement as before. Same checks, same errors:

* ``ledger_entry_must_balance`` (per posting row): the entry's postings sum to zero per currency;
* ``ledger_entry_needs_two_postings`` (per entry row): at least two postings.

Shared by every tenant schema (they live in ``public``); the reverse puts 0002's versions back.

Also fewer writes per posting and per hold (each index and foreign key is paid by every row written):

* a posting's account is referenced by 0002's composite (account, currency) foreign key alone: Django's
  deferred one on the account only was checked a second time per posting; its index is the prefix of
  ``ledger_posting_account_entry``;
* a hold's wallet index is the prefix of ``ledger_hold_wallet_status``; its close entry is never looked up by
  (and entries are never deleted); its reference is only ever compared whole (the unique index), never with
  LIKE (the ``varchar_pattern_ops`` copy Django adds to a unique text column).
"""

import django.db.models.deletion
from django.db import migrations, models

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION public.ledger_entry_must_balance() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    bad_currency text;
    bad_total bigint;
    n integer;
BEGIN
    IF TG_TABLE_SCHEMA = current_schema() AND pg_my_temp_schema() = 0 THEN
        -- ledger_posting is this trigger's table (first schema on the path, nothing temporary before it).
        SELECT currency, sum(amount) INTO bad_currency, bad_total FROM ledger_posting WHERE entry_id = NEW.entry_id
         GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
    ELSE
        EXECUTE format('SELECT currency, sum(amount) FROM %I.ledger_posting WHERE entry_id = $1 '
                       'GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1', TG_TABLE_SCHEMA)
            INTO bad_currency, bad_total USING NEW.entry_id;
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        RAISE EXCEPTION 'ledger: journal entry % does not balance: % % left over',
            NEW.entry_id, bad_total, bad_currency
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_balances';
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION public.ledger_entry_needs_two_postings() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    n integer;
BEGIN
    IF TG_TABLE_SCHEMA = current_schema() AND pg_my_temp_schema() = 0 THEN
        -- ledger_posting is in this trigger's schema (first on the path, nothing temporary before it).
        SELECT count(*) INTO n FROM ledger_posting WHERE entry_id = NEW.id;
    ELSE
        EXECUTE format('SELECT count(*) FROM %I.ledger_posting WHERE entry_id = $1', TG_TABLE_SCHEMA)
            INTO n USING NEW.id;
    END IF;
    IF n < 2 THEN
        RAISE EXCEPTION 'ledger: journal entry % has % posting(s); at least two are needed', NEW.id, n
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_has_postings';
    END IF;
    RETURN NULL;
END
$fn$;
"""


HOLD_REFERENCE_LIKE = "ledger_hold_reference_9828a36e_like"  # Django's name (0001) in every schema


def _previous_functions() -> str:
    from importlib import import_module

    return import_module("tenant_apps.ledger.migrations.0002_database_rules").FUNCTIONS


class Migration(migrations.Migration):
    dependencies = [("ledger", "0007_place_hold_function")]

    operations = [
        migrations.RunSQL(FUNCTIONS, reverse_sql=_previous_functions()),
        migrations.AlterField(
            model_name="hold",
            name="close_entry",
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="ledger.journalentry"),
        ),
        migrations.AlterField(
            model_name="hold",
            name="wallet",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="holds", to="ledger.account"),
        ),
        migrations.AlterField(
            model_name="posting",
            name="account",
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="postings", to="ledger.account"),
        ),
        migrations.RunSQL(f"DROP INDEX IF EXISTS {HOLD_REFERENCE_LIKE}",
                          f"CREATE INDEX {HOLD_REFERENCE_LIKE} ON ledger_hold (reference varchar_pattern_ops)"),
    ]
