from django.contrib import admin
from modeltranslation.admin import TranslationAdmin

from .models import Product


@admin.register(Product)
class ProductAdmin(TranslationAdmin):
    list_display = ["name", "product_type", "country", "provider", "provider_product_code", "is_active"]
    list_filter = ["country", "product_type", "is_active", "provider"]
    search_fields = ["name", "provider_product_code", "operator"]
    readonly_fields = ["synced_at", "withdrawn_at", "created_at", "updated_at"]
