"""The USSD stack: this process serves Django over real HTTP (a threaded WSGI server on a free port), the
Africa's Talking gateway simulator calls it, and the purchase stack of tests/orders (VTPass + MTN
simulators, one Celery worker) settles what is bought. Module-scoped: one of each per test module."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from provider_plugins.africastalking_ussd.simulator import AfricasTalkingUssdSimulator, UssdPhone
from tests.orders.conftest import inproc_stack, stack  # the purchase stacks (module-scoped)

__all__ = ["inproc_stack", "stack"]
CODES = {"ng": "*384*123#", "sn": "*384*221#"}
PIN = "4071"


@pytest.fixture(scope="module")
def app_server(django_db_setup, django_db_blocker):
    """Django over HTTP on 127.0.0.1:<port> (tenant domains: http://ng.localhost:<port>/...)."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            return

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=False)
    server.set_app(get_wsgi_application())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    with django_db_blocker.unblock():
        thread.start()
        try:
            yield server.server_address[1]
        finally:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def gateway(app_server, django_db_blocker):
    """The gateway simulator with a channel per tenant (service code, callback and notification URLs)."""
    from tenant_apps.ussd.services import callback_urls, channel_rotate_token, channel_update

    simulator = AfricasTalkingUssdSimulator(app_timeout=20.0).start()
    with django_db_blocker.unblock():
        for schema, code in CODES.items():
            with schema_context(schema):
                token = channel_rotate_token(actor=None)
                channel_update(actor=None, enabled=True, service_code=code)
            urls = callback_urls(base_url=f"http://{schema}.localhost:{app_server}", token=token)
            simulator.register_channel(service_code=code, callback_url=urls["callback_url"],
                                       events_url=urls["events_url"])
    try:
        yield simulator
    finally:
        simulator.set_mode("ok")
        simulator.stop()


def customer(schema: str = "ng", *, phone: str, balance_minor: int = 0, pin: str | None = PIN,
             verified: bool = True, language: str = ""):
    """A committed customer of ``schema`` (call under ``live_db``), with a funded wallet and a PIN."""
    from tenant_apps.accounts.models import User
    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tenant_apps.pins.services import pin_set

    with schema_context(schema):
        user = User.objects.create_user(email=f"ussd-{uuid.uuid4().hex[:12]}@example.test", role="customer",
                                        phone=phone, preferred_language=language,
                                        phone_verified_at=timezone.now() if verified else None)
        if balance_minor:
            fund_wallet(wallet=wallet_for(user=user), amount=balance_minor, reference=f"fund-{uuid.uuid4().hex}")
        if pin:
            pin_set(user=user, pin=pin)
    return user


def ng_phone() -> str:
    """A fresh MTN Nigeria number (0803...)."""
    return f"+234803{uuid.uuid4().int % 10**7:07d}"


def phone_of(gateway, user) -> UssdPhone:
    return UssdPhone(gateway.url, phone=user.phone)
