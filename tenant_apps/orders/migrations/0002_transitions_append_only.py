"""Order transitions are history: the database refuses to change or delete them."""

from django.db import migrations

FORWARD = r"""
CREATE OR REPLACE FUNCTION public.orders_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'orders_ordertransition is append-only (% refused)', TG_OP;
END;
$$;
CREATE TRIGGER orders_transition_append_only BEFORE UPDATE OR DELETE ON orders_ordertransition
    FOR EACH ROW EXECUTE FUNCTION public.orders_refuse_change();
CREATE TRIGGER orders_transition_no_truncate BEFORE TRUNCATE ON orders_ordertransition
    FOR EACH STATEMENT EXECUTE FUNCTION public.orders_refuse_change();
"""

REVERSE = r"""
DROP TRIGGER IF EXISTS orders_transition_no_truncate ON orders_ordertransition;
DROP TRIGGER IF EXISTS orders_transition_append_only ON orders_ordertransition;
"""


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
