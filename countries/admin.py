from django.contrib import admin

from .models import CountryOverride


@admin.register(CountryOverride)
class CountryOverrideAdmin(admin.ModelAdmin):
    list_display = ("country", "enabled", "vat_rate_bps", "default_language", "updated_at")
    list_filter = ("enabled",)
