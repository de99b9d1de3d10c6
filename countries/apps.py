from django.apps import AppConfig


class CountriesConfig(AppConfig):
    name = "countries"
    verbose_name = "Countries"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import CountryOverride
        from .overrides import invalidate_overrides

        post_save.connect(invalidate_overrides, sender=CountryOverride, dispatch_uid="countries_override_saved")
        post_delete.connect(invalidate_overrides, sender=CountryOverride, dispatch_uid="countries_override_deleted")
