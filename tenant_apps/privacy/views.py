"""Privacy API: the person's exports and erasure; operators acting on a person's written request.

People only (``NO_API_KEY``) for the person's own data: an API key never downloads or erases a person;
operator endpoints accept admin-scoped keys. Thin: the services decide and audit."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from shared_apps.core.api_scopes import ADMIN, NO_API_KEY, api_key_scopes
from shared_apps.core.errors import ApiError, NotFound
from tenant_apps.accounts.models import User
from tenant_apps.accounts.permissions import IsCustomerOrAgent, IsOperatorAdmin, IsOperatorSupport

from . import selectors, services
from .models import DataExport


class PrivacyExportBodySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    size_bytes = serializers.IntegerField()
    tables = serializers.DictField(child=serializers.IntegerField(), help_text="table -> rows exported")
    download = serializers.CharField(allow_null=True, help_text="Once ready.")


class PrivacyExportListSerializer(serializers.Serializer):
    results = PrivacyExportBodySerializer(many=True)


class PrivacyErasureBlockersSerializer(serializers.Serializer):
    blockers = serializers.ListField(child=serializers.CharField(),
                                     help_text="Empty: the account can be erased now.")


class PrivacyErasureDoneSerializer(serializers.Serializer):
    erasure = serializers.UUIDField()
    erased_at = serializers.DateTimeField()


class ErasureSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=128, help_text="The account password, typed again.")
    confirm = serializers.BooleanField(help_text="true: I understand my account is closed for good.")


class OperatorErasureSerializer(serializers.Serializer):
    confirm = serializers.BooleanField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                 help_text="The request's reference (letter, ticket).")


def _confirmed(data: dict) -> None:
    if not data.get("confirm"):
        raise ApiError(gettext("Confirm the erasure."), code="confirmation_required",
                       fields={"confirm": [gettext("Must be true.")]})


@api_key_scopes(GET=NO_API_KEY, POST=NO_API_KEY)
class ExportsView(APIView):
    """GET /api/privacy/exports: the person's exports; POST: ask for a new one (built in the background)."""

    permission_classes = [IsCustomerOrAgent]

    @extend_schema(responses=PrivacyExportListSerializer)
    def get(self, request):
        return Response({"results": [selectors.export_json(e) for e in selectors.exports_of(user=request.user)]})

    @extend_schema(request=None, responses={202: PrivacyExportBodySerializer})
    def post(self, request):
        export = services.export_request(user=request.user, request=request)
        return Response(selectors.export_json(export), status=status.HTTP_202_ACCEPTED)


@api_key_scopes(GET=NO_API_KEY)
class ExportDownloadView(APIView):
    """GET /api/privacy/exports/<id>/download: the zip, for its owner only, until it expires."""

    permission_classes = [IsCustomerOrAgent]

    @extend_schema(responses={(200, "application/zip"): OpenApiTypes.BINARY})
    def get(self, request, public_id):
        export = DataExport.objects.filter(public_id=public_id, user=request.user).first()
        if export is None:
            raise NotFound()
        content = services.export_open(export=export, user=request.user, request=request)
        response = HttpResponse(content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="my-data-{export.public_id.hex[:8]}.zip"'
        response["Cache-Control"] = "no-store"
        return response


@api_key_scopes(GET=NO_API_KEY, POST=NO_API_KEY)
class ErasureView(APIView):
    """GET /api/privacy/erasure: whether erasure is possible now; POST: erase my data and close my account."""

    permission_classes = [IsCustomerOrAgent]

    @extend_schema(responses=PrivacyErasureBlockersSerializer)
    def get(self, request):
        return Response({"blockers": services.erasure_blockers(user=request.user)})

    @extend_schema(request=ErasureSerializer, responses=PrivacyErasureDoneSerializer)
    def post(self, request):
        data = ErasureSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _confirmed(data.validated_data)
        if not request.user.check_password(data.validated_data["password"]):
            raise ApiError(gettext("The password is not correct."), code="invalid_password",
                           fields={"password": [gettext("The password is not correct.")]}, status_code=403)
        erasure = services.erase_user(user=request.user, request=request)
        return Response({"erasure": str(erasure.public_id), "erased_at": erasure.erased_at.isoformat()})


def _subject(public_id) -> User:
    user = User.objects.filter(public_id=public_id).first()
    if user is None:
        raise NotFound()
    return user


@api_key_scopes(POST=ADMIN)
class OperatorExportView(APIView):
    """POST /api/privacy/users/<id>/exports: an export on the person's request (delivered to the person)."""

    permission_classes = [IsOperatorSupport]

    @extend_schema(request=None, responses={202: PrivacyExportBodySerializer})
    def post(self, request, public_id):
        export = services.export_request(user=_subject(public_id), requested_by=request.user, request=request)
        return Response(selectors.export_json(export), status=status.HTTP_202_ACCEPTED)


@api_key_scopes(POST=ADMIN)
class OperatorErasureView(APIView):
    """POST /api/privacy/users/<id>/erasure: erase on the person's written request (operator admins)."""

    permission_classes = [IsOperatorAdmin]

    @extend_schema(request=OperatorErasureSerializer, responses=PrivacyErasureDoneSerializer)
    def post(self, request, public_id):
        data = OperatorErasureSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        _confirmed(data.validated_data)
        erasure = services.erase_user(user=_subject(public_id), requested_by=request.user, request=request)
        return Response({"erasure": str(erasure.public_id), "erased_at": erasure.erased_at.isoformat()})
