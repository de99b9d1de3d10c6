"""The starting merchant categories of every tenant schema (the operator edits their fees)."""

from django.db import migrations

DEFAULTS = [
    ("groceries", "Groceries and supermarkets", "5411", 100),
    ("restaurants", "Restaurants and food", "5812", 150),
    ("transport", "Transport and taxis", "4121", 100),
    ("pharmacy", "Pharmacies", "5912", 100),
    ("fuel", "Fuel stations", "5541", 50),
    ("education", "Schools and education", "8299", 50),
    ("retail", "Shops and market stalls", "5399", 100),
    ("services", "Services and repairs", "7299", 150),
]


def seed(apps, schema_editor):
    category = apps.get_model("merchants", "MerchantCategory")
    for code, name, mcc, fee_bps in DEFAULTS:
        category.objects.get_or_create(code=code, defaults={"name": name, "mcc": mcc, "fee_bps": fee_bps})


class Migration(migrations.Migration):
    dependencies = [("merchants", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
