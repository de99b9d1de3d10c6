"""Receipt links expire: ``expires_at`` fixed at creation; links made before get created_at + RECEIPT_LINK_TTL_DAYS."""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models


def backfill(apps, schema_editor):
    ReceiptLink = apps.get_model("receipts", "ReceiptLink")
    ttl = timedelta(days=settings.RECEIPT_LINK_TTL_DAYS)
    for link in ReceiptLink.objects.filter(expires_at__isnull=True).only("pk", "created_at").iterator():
        ReceiptLink.objects.filter(pk=link.pk).update(expires_at=link.created_at + ttl)


class Migration(migrations.Migration):

    dependencies = [
        ("receipts", "0001_receipt_links"),
    ]

    operations = [
        migrations.AddField(
            model_name="receiptlink",
            name="expires_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
