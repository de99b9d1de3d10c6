from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "tenant_apps.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.conf import settings
        from django.core.exceptions import ImproperlyConfigured

        from . import schema  # noqa: F401 - registers the OpenAPI auth extension
        from .models import new_password
        from .services import sessions_signed_out_by_new_password

        new_password.connect(sessions_signed_out_by_new_password, dispatch_uid="accounts_new_password_signs_out")

        # Every process refuses to start with a JWT key anyone could know (an empty or short one).
        if len(settings.SIMPLE_JWT.get("SIGNING_KEY") or "") < 32:
            raise ImproperlyConfigured("The JWT signing key is missing or short: set DJANGO_SECRET_KEY "
                                       "(or JWT_SIGNING_KEY), or use the dev/test settings.")
