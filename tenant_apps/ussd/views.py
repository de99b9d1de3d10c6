"""USSD over HTTP: the gateway's callback and end-of-session notice, the channel's API and back-office page.

The callback (``POST /ussd/africastalking/<token>``, form-encoded) never answers 500: a request that is not
the gateway's (wrong token, address not allowed) is 403 and logged; a malformed or oversized one is 4xx with
an ``END`` text; anything that goes wrong inside is logged and answered ``END`` with a generic message.
"""

from __future__ import annotations

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from provider_plugins.interfaces.ussd import UssdProtocol, UssdReply, UssdRequest, UssdRequestInvalid
from provider_plugins.registry import get_plugin
from shared_apps.core.amounts import parse_amount
from shared_apps.core.api_scopes import ADMIN, api_key_scopes
from shared_apps.core.errors import ApiError
from shared_apps.core.request_guard import accepts_body
from tenant_apps.accounts.permissions import IsOperatorAdmin
from tenant_apps.audit.services import client_ip
from tenant_apps.ledger.currency import tenant_currency, to_decimal_string
from tenant_apps.notifications.messages import message_language
from tenant_apps.pins.services import pin_policy_update, web_api_threshold_minor
from tenant_apps.portal.access import page_requires
from tenant_apps.portal.forms import StyledForm, apply_api_error
from tenant_apps.portal.views import page
from tenant_apps.risk.request_signals import RequestSignals, keyed_hash, reset_signals, set_signals

from . import menu, services, sessions

logger = logging.getLogger(__name__)
FORM_ENCODED = frozenset({"application/x-www-form-urlencoded"})
PLAIN = "text/plain; charset=utf-8"


def _conf() -> dict:
    return settings.USSD


def _protocol(gateway: str = "africastalking_ussd") -> UssdProtocol:
    return get_plugin(gateway).channels["ussd"]()


def _generic(message_id: str) -> str:
    """A message in the tenant's language (English if even that cannot be found out)."""
    try:
        with translation.override(message_language()):
            return _(message_id)
    except Exception:
        return message_id


def _plain(body: str, status: int) -> HttpResponse:
    return HttpResponse(body, status=status, content_type=PLAIN)


def _refused(request: HttpRequest, reason: str) -> HttpResponse:
    logger.warning("ussd callback refused", extra={"reason": reason, "peer": client_ip(request)})
    return _plain("END", 403)


def _authenticated(request: HttpRequest, token: str):
    """The channel row when the request is the gateway's (token, then address), else a refusal."""
    row = services.channel_settings()
    if not services.token_matches(row, token):
        return None, _refused(request, "bad_token")
    if not services.address_allowed(client_ip(request)):
        return None, _refused(request, "address_not_allowed")
    if len(request.body) > _conf()["MAX_BODY_BYTES"]:  # bounded already (REQUEST_MAX_BODY_BYTES): cheap here
        logger.info("ussd callback body too large", extra={"bytes": len(request.body)})
        return None, _plain("END " + _generic(gettext_noop("Invalid request.")), 413)
    return row, None


@csrf_exempt
@accepts_body(FORM_ENCODED)
@require_POST
def africastalking_callback(request: HttpRequest, token: str) -> HttpResponse:
    try:
        return _callback(request, token)
    except Exception:  # never a 500 to the gateway (a database outage included): the customer sees a plain END
        logger.exception("ussd callback failed")
        return _plain("END " + _generic(gettext_noop("Sorry, something went wrong. Nothing was charged. Dial "
                                                     "again.")), 200)


africastalking_callback.session_idempotent = True  # idempotency.registry: Guard.SESSION_KEY


def _callback(request: HttpRequest, token: str) -> HttpResponse:
    row, refusal = _authenticated(request, token)
    if refusal is not None:
        return refusal
    protocol = _protocol(row.gateway)
    conf = _conf()
    try:
        ussd = protocol.parse_request(request.POST.dict(), max_text_chars=conf["MAX_TEXT_CHARS"],
                                      max_inputs=conf["MAX_INPUTS"])
    except UssdRequestInvalid as exc:
        logger.info("ussd request refused", extra={"field": exc.field, "reason": exc.reason})
        if exc.field == "text":
            # What the customer typed (too long, too many inputs, letters or other signs a handset can send):
            # the gateway shows our END only on a 200 (any other status is "Connection problem or invalid MMI
            # code" on the handset), so the customer gets a screen saying why. Nothing runs.
            return _plain("END " + _generic(gettext_noop("This input is not accepted. Dial again and type "
                                                         "numbers only.")), 200)
        return _plain("END " + _generic(gettext_noop("Invalid request.")), 400)
    if not row.enabled or ussd.service_code != row.service_code:
        reply = UssdReply(_generic(gettext_noop("This service is not available.")), final=True)
        return _render(protocol, reply)
    # The first screen of a session id with no state is a new dial (the gateway may use an ended session's id
    # again), and so is a first request with inputs (*384*123*1#) of a session id never seen: the answers kept
    # for late repeats of an earlier one are not this dial's. With a state, it is a repeat within this dial. The
    # answers are the caller's only.
    fresh = sessions.load(ussd.session_id) is None and (not ussd.text or not sessions.seen(ussd.session_id))
    caller = f"{ussd.phone_number}|{sessions.dial(ussd.session_id, new=fresh)}"
    cached = sessions.answer_of(ussd.session_id, ussd.text, caller)
    if cached is not None:
        return _render(protocol, UssdReply(*cached))
    if not sessions.claim(ussd.session_id, ussd.text, caller):  # a twin of a request still running
        found = sessions.wait_for_answer(ussd.session_id, ussd.text, caller)
        reply = UssdReply(*found) if found else UssdReply(
            _generic(gettext_noop("Your request is being processed. You will receive an SMS.")), final=True)
        return _render(protocol, reply)
    try:
        # A twin may have finished between the first look and the claim (it remembers its answer before it
        # releases): answering this text again would find the session past it and end it.
        cached = sessions.answer_of(ussd.session_id, ussd.text, caller)
        if cached is not None:
            reply = UssdReply(*cached)
        else:
            reply = _respond_as_the_caller(ussd)
            sessions.remember_answer(ussd.session_id, ussd.text, reply.text, reply.final, caller)
    except Exception:  # never a 500 to the gateway: the customer sees a plain END
        logger.exception("ussd request failed")
        sessions.drop(ussd.session_id)
        reply = UssdReply(_generic(gettext_noop("Sorry, something went wrong. Nothing was charged. Dial again.")),
                          final=True)
    finally:
        sessions.release(ussd.session_id, ussd.text, caller)
    return _render(protocol, reply)


def _respond_as_the_caller(ussd: UssdRequest) -> UssdReply:
    """The menu's answer, with the risk gate's signals of the caller: every request comes from the gateway's few
    addresses (not the customer's: an IP rule would count all USSD customers as one) and carries no device
    cookie; the caller's SIM (its number) is the device. No one can answer an SMS step-up inside the session:
    the PIN typed on a payment's confirmation is its proof (``menu.on_confirm``, ``risk.gate.step_up_proven``);
    anything screened without it (not interactive) is held where it can wait, refused where it cannot."""
    signals = RequestSignals(channel="ussd", device_hash=keyed_hash("ussd:" + ussd.phone_number), ip=None,
                             user_agent="USSD")
    token = set_signals(signals)
    try:
        return menu.respond(ussd)
    finally:
        reset_signals(token)


def _render(protocol: UssdProtocol, reply: UssdReply) -> HttpResponse:
    status, body, content_type = protocol.render(reply, max_chars=_conf()["SCREEN_CHARS"])
    return HttpResponse(body, status=status, content_type=content_type)


@csrf_exempt
@accepts_body(FORM_ENCODED)
@require_POST
def africastalking_events(request: HttpRequest, token: str) -> HttpResponse:
    """The gateway's end-of-session notice: forget the session's state (its answers stay for late repeats)."""
    row, refusal = _authenticated(request, token)
    if refusal is not None:
        return refusal
    try:
        ended = _protocol(row.gateway).parse_session_end(request.POST.dict())
    except UssdRequestInvalid as exc:
        logger.info("ussd session notice refused", extra={"field": exc.field, "reason": exc.reason})
        return _plain("Bad Request", 400)
    sessions.drop(ended.session_id)
    logger.info("ussd session ended", extra={"status": ended.status, "hops": ended.hops,
                                             "duration_ms": ended.duration_ms, "error": ended.error_message})
    return _plain("OK", 200)


# --- API: the channel's settings (operator admin) ----------------------------------------------------

class ChannelSerializer(serializers.Serializer):
    enabled = serializers.BooleanField(required=False)
    service_code = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                         help_text="the code customers dial, e.g. *384*123#")
    gateway = serializers.CharField(read_only=True)
    token_hint = serializers.CharField(read_only=True, help_text="the last characters of the callback URL's token")
    token_created_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ChannelUrlsSerializer(serializers.Serializer):
    callback_url = serializers.CharField(help_text="Africa's Talking: the channel's callback URL (shown once)")
    events_url = serializers.CharField(help_text="Africa's Talking: the end-of-session notification URL")


@api_key_scopes(GET=ADMIN, PATCH=ADMIN)
class UssdChannelView(APIView):
    """GET/PATCH /api/ussd/channel {enabled, service_code}: the tenant's USSD channel."""

    permission_classes = [IsOperatorAdmin]

    @extend_schema(responses=ChannelSerializer)
    def get(self, request):
        return Response(ChannelSerializer(services.channel_settings()).data)

    @extend_schema(request=ChannelSerializer, responses=ChannelSerializer)
    def patch(self, request):
        body = ChannelSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        row = services.channel_update(actor=request.user, enabled=body.validated_data.get("enabled"),
                                      service_code=body.validated_data.get("service_code"), request=request)
        return Response(ChannelSerializer(row).data)


@api_key_scopes(POST=ADMIN)
class UssdTokenView(APIView):
    """POST /api/ussd/channel/token: a new callback URL secret (the previous URL stops working); the URLs to
    enter in the gateway's dashboard are in this answer only."""

    permission_classes = [IsOperatorAdmin]

    @extend_schema(request=None, responses={201: ChannelUrlsSerializer})
    def post(self, request):
        token = services.channel_rotate_token(actor=request.user, request=request)
        return Response(services.callback_urls(base_url=request.build_absolute_uri("/"), token=token), status=201)


# --- back office page ------------------------------------------------------------------------------------

class ChannelForm(StyledForm):
    service_code = forms.CharField(label=gettext_lazy("Service code"), max_length=40, required=False,
                                   help_text=gettext_lazy("The code customers dial, e.g. *384*123#"))
    enabled = forms.BooleanField(label=gettext_lazy("USSD is on"), required=False)


class PinPolicyForm(StyledForm):
    threshold = forms.CharField(label=gettext_lazy("Ask the PIN on the web and the API from"), max_length=24,
                                required=False,
                                help_text=gettext_lazy("An amount: payments from it up need the customer's "
                                                       "transaction PIN. Empty: never (USSD always asks it)."))


@page_requires(IsOperatorAdmin)
@require_http_methods(["GET", "POST"])
def backoffice(request):
    row = services.channel_settings()
    currency = tenant_currency().code
    threshold = web_api_threshold_minor()
    action = request.POST.get("action", "")
    channel_form = ChannelForm(request.POST if action == "channel" else None,
                               initial={"service_code": row.service_code, "enabled": row.enabled})
    policy_form = PinPolicyForm(request.POST if action == "policy" else None, initial={
        "threshold": to_decimal_string(threshold, currency) if threshold is not None else ""})
    urls = None
    if action == "channel" and channel_form.is_valid():
        try:
            services.channel_update(actor=request.user, enabled=channel_form.cleaned_data["enabled"],
                                    service_code=channel_form.cleaned_data["service_code"], request=request)
        except ApiError as error:
            apply_api_error(channel_form, error)
        else:
            messages.success(request, _("USSD settings saved."))
            return redirect("ussd-backoffice")
    elif action == "token":
        token = services.channel_rotate_token(actor=request.user, request=request)
        urls = services.callback_urls(base_url=request.build_absolute_uri("/"), token=token)  # shown once
        row = services.channel_settings()
    elif action == "policy" and policy_form.is_valid():
        raw = policy_form.cleaned_data["threshold"].strip()
        try:
            amount = parse_amount(raw, currency=currency, field="threshold", allow_zero=True) if raw else None
            pin_policy_update(actor=request.user, web_api_threshold_minor=amount, request=request)
        except ApiError as error:
            apply_api_error(policy_form, error)
        else:
            messages.success(request, _("PIN policy saved."))
            return redirect("ussd-backoffice")
    errors = channel_form.errors or policy_form.errors
    return page(request, "ussd/backoffice.html", {"row": row, "channel_form": channel_form,
                                                   "policy_form": policy_form, "urls": urls, "currency": currency},
                status=400 if errors else 200)
