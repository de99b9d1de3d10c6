"""Fewer index writes per risk decision (issue 18: every purchase records one).

* ``risk_dec_user`` (user, created_at) indexes every decision of the user, not only the counted ones: the
  velocity windows still read it (``counted`` is a filter: refusals are few), and it replaces the foreign
  key's own index on ``user_id`` (its prefix) for the user's list and the reference.
* The rule and the reviewer are NULL for nearly every decision: their foreign keys' indexes become partial
  (``risk_dec_rule``, ``risk_dec_reviewed_by``), so a decision without them writes nothing there.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("risk", "0003_record_decision_function"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="riskdecision",
            name="risk_dec_user",
        ),
        migrations.AlterField(
            model_name="riskdecision",
            name="reviewed_by",
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name="riskdecision",
            name="rule",
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="decisions", to="risk.riskrule"),
        ),
        migrations.AlterField(
            model_name="riskdecision",
            name="user",
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="risk_decisions", to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name="riskdecision",
            index=models.Index(fields=["user", "created_at"], name="risk_dec_user"),
        ),
        migrations.AddIndex(
            model_name="riskdecision",
            index=models.Index(condition=models.Q(("rule__isnull", False)), fields=["rule"], name="risk_dec_rule"),
        ),
        migrations.AddIndex(
            model_name="riskdecision",
            index=models.Index(condition=models.Q(("reviewed_by__isnull", False)), fields=["reviewed_by"], name="risk_dec_reviewed_by"),
        ),
    ]
