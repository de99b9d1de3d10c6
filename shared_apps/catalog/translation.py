"""django-modeltranslation: product names in en / fr / pt (fallback: en)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Product


@register(Product)
class ProductTranslationOptions(TranslationOptions):
    fields = ("name",)
