"""Auth API on every tenant domain (and the head-office domain): thin views over the services."""

from __future__ import annotations

from typing import Any

from dj_rest_auth.views import LoginView as RestAuthLoginView
from dj_rest_auth.views import LogoutView as RestAuthLogoutView
from dj_rest_auth.views import UserDetailsView
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenRefreshView

from shared_apps.core.api_scopes import ADMIN, NO_API_KEY, READ, api_key_scopes
from shared_apps.core.errors import Forbidden
from tenant_apps.audit.selectors import audit_events
from tenant_apps.audit.serializers import AuditEventSerializer

from . import email_proof, selectors, services
from .permissions import IsHeadOffice, IsOperatorAdmin, IsOperatorStaff, IsSuperAdmin
from .serializers import (
    DetailSerializer,
    EmailProofSerializer,
    OtpSerializer,
    PasswordChangeSerializer,
    RefreshResponseSerializer,
    RefreshSerializer,
    RegisterResponseSerializer,
    RegisterSerializer,
    RoleChangeSerializer,
    TokenPairSerializer,
    UserSerializer,
)
from .throttles import AuthRateThrottle
from .tokens import parse_refresh_token, tokens_for_user

ERRORS = {400: OpenApiResponse(description="Validation error (one error shape)"),
          401: OpenApiResponse(description="Not authenticated / token refused"),
          429: OpenApiResponse(description="Rate limited or locked out")}


def token_pair_body(user: Any, request: Any) -> dict:
    from rest_framework_simplejwt.settings import api_settings as jwt_settings

    access, refresh = tokens_for_user(user)
    now = timezone.now()
    return TokenPairSerializer({
        "access": access, "refresh": refresh, "user": user,
        "access_expiration": now + jwt_settings.ACCESS_TOKEN_LIFETIME,
        "refresh_expiration": now + jwt_settings.REFRESH_TOKEN_LIFETIME,
    }, context={"request": request}).data


class RegisterView(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [AuthRateThrottle]
    throttle_scope = "auth_register"

    @extend_schema(request=RegisterSerializer, responses={201: RegisterResponseSerializer, **ERRORS},
                   summary="Register with email, phone and password; a code is texted to the phone")
    def post(self, request: Any) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user, sent = services.user_register(**serializer.validated_data, request=request)
        return Response(RegisterResponseSerializer({
            "user": user, "otp_sent": sent,
            "detail": gettext("We texted you a code: send it to /api/auth/otp to verify your phone."),
        }).data, status=status.HTTP_201_CREATED)


class LoginView(RestAuthLoginView):
    """dj-rest-auth login (email + password) answering a tenant-bound JWT pair."""

    authentication_classes: list = []
    throttle_classes = [AuthRateThrottle]
    throttle_scope = "auth_login"

    @extend_schema(responses={200: TokenPairSerializer, **ERRORS}, summary="Log in with email and password")
    def post(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


class OtpView(APIView):
    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [AuthRateThrottle]
    throttle_scope = "auth_otp"

    @extend_schema(request=OtpSerializer,
                   responses={200: TokenPairSerializer, 202: DetailSerializer, **ERRORS},
                   summary="Request a login code by SMS (phone only), or verify it (phone + code) for tokens")
    def post(self, request: Any) -> Response:
        serializer = OtpSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if not data.get("code"):
            services.otp_request(phone=data["phone"], request=request)
            return Response({"detail": gettext("If this number is registered, a code has been sent.")},
                            status=status.HTTP_202_ACCEPTED)
        user = services.otp_verify(phone=data["phone"], code=data["code"], request=request)
        return Response(token_pair_body(user, request))


class RefreshView(TokenRefreshView):
    """Rotate a refresh token (the old one is blacklisted); refused on another tenant's domain."""

    authentication_classes = ()
    throttle_classes = [AuthRateThrottle]
    throttle_scope = "auth_refresh"

    @extend_schema(request=RefreshSerializer, responses={200: RefreshResponseSerializer, **ERRORS},
                   summary="Exchange a refresh token for a new pair")
    def post(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return super().post(request, *args, **kwargs)


@api_key_scopes(POST=NO_API_KEY)
class LogoutView(RestAuthLogoutView):
    """Blacklist the refresh token (dj-rest-auth's logout, with the tenant and owner checks)."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [AuthRateThrottle]
    throttle_scope = "auth_refresh"
    serializer_class = RefreshSerializer
    http_method_names = ["post", "options"]  # dj-rest-auth's GET only answers 405: not an operation

    @extend_schema(request=RefreshSerializer, responses={200: DetailSerializer, **ERRORS}, summary="Log out")
    def post(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return self.logout(request)

    def logout(self, request: Any) -> Response:
        serializer = RefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = parse_refresh_token(serializer.validated_data["refresh"])
        from rest_framework_simplejwt.settings import api_settings as jwt_settings

        if str(token.get(jwt_settings.USER_ID_CLAIM)) != str(request.user.public_id):
            raise Forbidden(gettext("This refresh token belongs to someone else."), code="token_owner_mismatch")
        services.user_logout(user=request.user, refresh_token=token, request=request)
        return Response({"detail": gettext("Logged out.")})


@api_key_scopes(POST=NO_API_KEY)
class PasswordChangeView(APIView):
    """Change my password (the current one required): every session of mine is signed out, this device gets a new
    token pair in the answer."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [AuthRateThrottle]
    throttle_scope = "auth_login"

    @extend_schema(request=PasswordChangeSerializer, responses={200: TokenPairSerializer, **ERRORS},
                   summary="Change the password; signs out every session and answers a new token pair")
    def post(self, request: Any) -> Response:
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = services.user_change_password(user=request.user, request=request, **serializer.validated_data)
        return Response(token_pair_body(user, request))


@api_key_scopes(POST=NO_API_KEY)
class EmailProofView(APIView):
    """Prove my email address (accounts.email_proof): without ``token``, a proof is mailed to it (202; at most one
    per cooldown); with the mailed ``token``, the address is marked proven (200, the user). Until then nobody can
    send me money by email."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=EmailProofSerializer, responses={200: UserSerializer, 202: DetailSerializer, **ERRORS},
                   summary="Mail a proof of my email address, or confirm it with the mailed token")
    def post(self, request: Any) -> Response:
        serializer = EmailProofSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token = serializer.validated_data.get("token")
        if token:
            user = email_proof.email_proof_confirm(user=request.user, token=token, request=request)
            return Response(UserSerializer(user).data)
        if request.user.email_verified_at is not None:
            return Response(UserSerializer(request.user).data)
        email_proof.email_proof_send(user=request.user, request=request)
        return Response({"detail": gettext("If this address can receive mail, a confirmation is on its way.")},
                        status=status.HTTP_202_ACCEPTED)


@api_key_scopes(GET=READ, PUT=NO_API_KEY, PATCH=NO_API_KEY)
class MeView(UserDetailsView):
    """The logged-in user (dj-rest-auth user details); only the language can be changed."""

    serializer_class = UserSerializer
    http_method_names = ["get", "patch", "head", "options"]


@api_key_scopes(GET=ADMIN)
class UserListView(ListAPIView):
    """Operator staff: the tenant's users (``?role=agent&search=ada``)."""

    permission_classes = [IsOperatorStaff]
    serializer_class = UserSerializer

    def get_queryset(self):
        return selectors.users_list(role=self.request.query_params.get("role", ""),
                                    search=self.request.query_params.get("search", ""))


@api_key_scopes(POST=ADMIN)
class UserRoleView(APIView):
    """Operator admin: change a user's role (audited)."""

    permission_classes = [IsOperatorAdmin]

    @extend_schema(request=RoleChangeSerializer, responses={200: UserSerializer, **ERRORS})
    def post(self, request: Any, public_id: str) -> Response:
        serializer = RoleChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = selectors.user_get(public_id=public_id)
        user = services.user_change_role(actor=request.user, user=user, role=serializer.validated_data["role"],
                                         request=request)
        return Response(UserSerializer(user).data)


@api_key_scopes(GET=ADMIN)
class AuditListView(ListAPIView):
    """Operator admin: the tenant's audit trail (``?action=login_failed``)."""

    permission_classes = [IsOperatorAdmin]
    serializer_class = AuditEventSerializer

    def get_queryset(self):
        params = self.request.query_params
        return audit_events(action=params.get("action", ""), subject_id=params.get("subject_id", ""))


# --- head office (public domain) ---------------------------------------------------------

@api_key_scopes(GET=NO_API_KEY)
class HeadOfficeUserListView(UserListView):
    permission_classes = [IsHeadOffice]


@api_key_scopes(POST=NO_API_KEY)
class HeadOfficeUserRoleView(UserRoleView):
    permission_classes = [IsSuperAdmin]


@api_key_scopes(GET=NO_API_KEY)
class HeadOfficeAuditListView(AuditListView):
    permission_classes = [IsHeadOffice]


