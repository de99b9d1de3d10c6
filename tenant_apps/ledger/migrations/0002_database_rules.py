"""The ledger's rules, enforced by PostgreSQL itself (whatever code, shell or SQL client writes).

* Each entry's postings sum to zero per currency, checked at COMMIT by a
  DEFERRABLE INITIALLY DEFERRED constraint trigger (so the postings of one
  entry may be inserted one by one inside the transaction).
* An entry has at least two postings (same mechanism).
* Entries and postings are append-only: UPDATE, DELETE and TRUNCATE raise.
* A posting's currency is its account's currency (composite foreign key).

The functions live in ``public`` (one copy shared by every tenant schema) and
find the tables through ``TG_TABLE_SCHEMA``, never through ``search_path``.
Template cloning copies the triggers (their functions stay in public).
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION public.ledger_entry_must_balance() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    bad_currency text;
    bad_total bigint;
    n integer;
BEGIN
    EXECUTE format('SELECT currency, sum(amount) FROM %I.ledger_posting WHERE entry_id = $1 '
                   'GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1', TG_TABLE_SCHEMA)
        INTO bad_currency, bad_total USING NEW.entry_id;
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
    EXECUTE format('SELECT count(*) FROM %I.ledger_posting WHERE entry_id = $1', TG_TABLE_SCHEMA)
        INTO n USING NEW.id;
    IF n < 2 THEN
        RAISE EXCEPTION 'ledger: journal entry % has % posting(s); at least two are needed', NEW.id, n
            USING ERRCODE = 'check_violation', CONSTRAINT = 'ledger_entry_has_postings';
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION public.ledger_append_only() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'ledger: % on %.% is refused: the ledger is append-only (post a correcting entry)',
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation', CONSTRAINT = 'ledger_append_only';
END
$fn$;
"""

TRIGGERS = r"""
ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_id_currency_key UNIQUE (id, currency);
ALTER TABLE ledger_posting ADD CONSTRAINT ledger_posting_account_currency_fk
    FOREIGN KEY (account_id, currency) REFERENCES ledger_account (id, currency);

CREATE CONSTRAINT TRIGGER ledger_posting_balances
    AFTER INSERT ON ledger_posting DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION public.ledger_entry_must_balance();
CREATE CONSTRAINT TRIGGER ledger_entry_has_postings
    AFTER INSERT ON ledger_journalentry DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION public.ledger_entry_needs_two_postings();

CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
    FOR EACH ROW EXECUTE FUNCTION public.ledger_append_only();
CREATE TRIGGER ledger_posting_no_truncate BEFORE TRUNCATE ON ledger_posting
    FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_append_only();
CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_journalentry
    FOR EACH ROW EXECUTE FUNCTION public.ledger_append_only();
CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_journalentry
    FOR EACH STATEMENT EXECUTE FUNCTION public.ledger_append_only();
"""

REVERSE_TRIGGERS = r"""
DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_posting_no_truncate ON ledger_posting;
DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting;
DROP TRIGGER IF EXISTS ledger_entry_has_postings ON ledger_journalentry;
DROP TRIGGER IF EXISTS ledger_posting_balances ON ledger_posting;
ALTER TABLE ledger_posting DROP CONSTRAINT IF EXISTS ledger_posting_account_currency_fk;
ALTER TABLE ledger_account DROP CONSTRAINT IF EXISTS ledger_account_id_currency_key;
"""


class Migration(migrations.Migration):
    dependencies = [("ledger", "0001_initial")]

    operations = [
        # Functions are shared by all schemas and kept on reverse (other schemas still use them).
        migrations.RunSQL(FUNCTIONS, reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(TRIGGERS, reverse_sql=REVERSE_TRIGGERS),
    ]
