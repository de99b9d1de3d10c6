from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.utils.translation import gettext_lazy as _

from shared_apps.core.errors import ApiError

from .models import User


class LockoutAdminAuthenticationForm(AdminAuthenticationForm):
    """The Django admin's login with the API's rules: rate limit per IP, lockout per account, slowdown per
    IP (``services.user_login``, ``lockout.py``), the same counters as ``/api/auth/login`` and the console."""

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "too_many_attempts": _("Too many failed attempts. Try again later."),
    }

    def clean(self):
        from .services import InvalidCredentials, TooManyAttempts, user_login
        from .throttles import over_login_rate

        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if self.request is not None and over_login_rate(self.request):
            raise forms.ValidationError(self.error_messages["too_many_attempts"], code="too_many_attempts")
        if email is None or password is None:
            return self.cleaned_data
        try:
            self.user_cache = user_login(email=email, password=password, request=self.request)
        except TooManyAttempts:
            raise forms.ValidationError(self.error_messages["too_many_attempts"], code="too_many_attempts")
        except InvalidCredentials:
            raise self.get_invalid_login_error()
        except ApiError:
            raise self.get_invalid_login_error()
        self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


admin.site.login_form = LockoutAdminAuthenticationForm


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ("email", "role", "is_active", "is_staff", "date_joined")
    list_filter = ("role", "is_active")
    search_fields = ("email",)
    readonly_fields = ("public_id", "last_login", "date_joined")
    exclude = ("password",)
