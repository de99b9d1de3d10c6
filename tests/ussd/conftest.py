"""The USSD stack: this process serves Django over real HTTP (a threaded WSGI server on a free port), the
Africa's Talking gateway simulator calls it, and the purchase stack (tests/fixtures/purchase.py: VTPass + MTN
simulators, one Celery worker) settles what is bought. Module-scoped: one of each per test module."""

from __future__ import annotations

import threading

import pytest
from django_tenants.utils import schema_context

from provider_plugins.africastalking_ussd.simulator import AfricasTalkingUssdSimulator
from tests.ussd.helpers import CODES


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
