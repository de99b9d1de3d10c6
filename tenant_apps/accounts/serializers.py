"""Request and response shapes of the auth API (thin: the rules live in services)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from rest_framework import serializers

from .models import HEAD_OFFICE_ROLES, TENANT_ROLES, User
from .services import user_login


class UserSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    phone_verified = serializers.BooleanField(source="is_phone_verified", read_only=True)
    email_verified = serializers.BooleanField(source="is_email_verified", read_only=True)

    class Meta:
        model = User
        fields = ["id", "email", "email_verified", "phone", "phone_verified", "role", "preferred_language",
                  "date_joined"]
        read_only_fields = ["id", "email", "email_verified", "phone", "phone_verified", "role", "date_joined"]

    def validate_preferred_language(self, value: str) -> str:
        from django.conf import settings

        if value and value not in {code for code, _name in settings.LANGUAGES}:
            raise serializers.ValidationError(gettext("Choose one of the supported languages."))
        return value


class RegisterSerializer(serializers.Serializer):
    # Formats are checked by the service (one place for the rules); these only describe the API.
    email = serializers.CharField(max_length=254)
    phone = serializers.CharField(max_length=32)
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})


class RegisterResponseSerializer(serializers.Serializer):
    user = UserSerializer()
    otp_sent = serializers.BooleanField()
    detail = serializers.CharField()


class LoginSerializer(serializers.Serializer):
    """dj-rest-auth ``LOGIN_SERIALIZER``: email + password, lockout, generic errors."""

    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["user"] = user_login(email=attrs["email"], password=attrs["password"],
                                   request=self.context.get("request"))
        return attrs


class TokenPairSerializer(serializers.Serializer):
    """Login and OTP answer (dj-rest-auth ``JWT_SERIALIZER_WITH_EXPIRATION``)."""

    access = serializers.CharField()
    refresh = serializers.CharField()
    access_expiration = serializers.DateTimeField()
    refresh_expiration = serializers.DateTimeField()
    user = UserSerializer()


class OtpSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)
    code = serializers.CharField(max_length=12, required=False, allow_blank=True,
                                 help_text="Omit to request a code by SMS; send it to verify and log in.")


class EmailProofSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=400, required=False, allow_blank=True,
                                  help_text="Omit to be mailed a proof; send the one mailed to confirm the address.")


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class RefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()


class RefreshResponseSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})
    new_password = serializers.CharField(max_length=128, write_only=True, style={"input_type": "password"})


class RoleChangeSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=sorted(TENANT_ROLES | HEAD_OFFICE_ROLES))
