"""Issue 14, item 9: server-side request forgery through reseller webhooks.

The attack as reported: any URL was accepted (``http://127.0.0.1:…``, ``http://169.254.169.254/…``,
``http://localhost:8000/admin/``), the worker posted there and the delivery log showed what answered.
Now every user-supplied URL goes through ``shared_apps.core.outbound``: public https only, checked when
registered and again after DNS resolution at each attempt, connected to the checked address, no redirect
followed, no answer body kept. Production rules (``ALLOW_LOOPBACK`` off) unless a test says otherwise.
"""

from __future__ import annotations

import datetime
import ssl
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django_tenants.utils import schema_context

from shared_apps.core import outbound
from tenant_apps.agents.models import DeliveryAttempt, WebhookDelivery, WebhookSubscription
from tests.accounts.helpers import call, login, make_user

pytestmark = pytest.mark.django_db

HOST = "quickvend.localhost"
PUBLIC_IP = "93.184.215.14"  # what the fake DNS answers for the attacker's name before it "rebinds"


class InternalService:
    """A real HTTP(S) server on 127.0.0.1 standing for something internal: it counts who reached it."""

    def __init__(self, *, status=200, body=b"INTERNAL-SECRET-BODY", headers=(), tls: ssl.SSLContext | None = None):
        self.hits: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                outer.hits.append({"path": self.path, "host": self.headers.get("Host"),
                                   "body": self.rfile.read(length)})
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal():
    service = InternalService()
    yield service
    service.stop()


@pytest.fixture
def production_rules(settings):
    settings.OUTBOUND_URLS = {**settings.OUTBOUND_URLS, "ALLOW_LOOPBACK": False}


@pytest.fixture
def fake_dns(monkeypatch):
    """Names under .example.test resolve as the test says (the real resolver for everything else)."""
    answers: dict[str, list[list[str]]] = {}
    real = outbound.resolve

    def resolve(host, port):
        if host in answers:
            queue = answers[host]
            return queue.pop(0) if len(queue) > 1 else queue[0]
        return real(host, port)

    monkeypatch.setattr(outbound, "resolve", resolve)
    return answers


def refused_urls(internal_port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{internal_port}/hooks", "http://169.254.169.254/latest/meta-data/iam/",
        "http://localhost:8000/admin/", f"https://localhost:{internal_port}/", "https://127.0.0.1/",
        "https://[::1]/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]/", "https://2130706433/",
        "https://0x7f000001/", "https://0177.0.0.1/", "https://127.1/", "https://0x7f.0.0.1/",
        "https://10.0.0.5/", "https://172.16.0.1/", "https://192.168.1.1/", "https://100.64.0.1/",
        "https://100.100.100.200/", "https://169.254.169.254/", "https://[fd00:ec2::254]/", "https://[fe80::1]/",
        "https://224.0.0.1/", "https://0.0.0.0/", "https://[::]/", "https://192.0.0.192/",
        "https://[64:ff9b::a9fe:a9fe]/", "https://[2002:a9fe:a9fe::]/", "https://[2001:0:4136:e378::1]/",
        "https://255.255.255.255/", "https://240.0.0.1/", "ftp://hooks.example.test/", "file:///etc/passwd",
        "https://user:pw@hooks.example.test/", "http://hooks.example.test/", "https://private.example.test/",
        "https://mapped.example.test/", "https://ns.example.test./x", "gopher://127.0.0.1:6379/_INFO",
    ]


def test_registration_refuses_internal_and_non_https_urls(production_rules, fake_dns, internal, host_client):
    fake_dns.update({"hooks.example.test": [[PUBLIC_IP]], "private.example.test": [[PUBLIC_IP, "10.1.2.3"]],
                     "mapped.example.test": [["::ffff:169.254.169.254"]], "ns.example.test": [["127.0.0.1"]]})
    admin = make_user("quickvend", email=f"ssrf-{uuid.uuid4().hex[:8]}@qv.test", role="operator_admin")
    client = host_client(HOST)
    token = login(client, admin.email)["access"]
    with schema_context("quickvend"):
        before = WebhookSubscription.objects.count()
    for url in refused_urls(internal.port):
        with pytest.raises(outbound.UrlNotAllowed):
            outbound.check_url(url)
        response = call(client, "POST", "/api/resellers/webhooks", {"url": url, "events": ["order.settled"]},
                        token=token)
        assert response.status_code == 400, (url, response.content)
        assert response.json()["error"]["code"] in ("url_not_allowed", "validation_error"), url
    assert call(client, "POST", "/api/resellers/webhooks", {"url": "https://hooks.example.test/nx"},
                token=token).status_code == 201
    with schema_context("quickvend"):
        assert WebhookSubscription.objects.count() == before + 1
    assert internal.hits == []


def test_the_reasons_are_clear(production_rules, fake_dns):
    fake_dns["hooks.example.test"] = [[PUBLIC_IP]]
    reasons = {}
    for url in ("http://hooks.example.test/", "https://127.0.0.1/", "https://2130706433/",
                "https://u:p@hooks.example.test/"):
        with pytest.raises(outbound.UrlNotAllowed) as refused:
            outbound.check_url(url)
        reasons[url] = refused.value.fields["url"][0]
    assert reasons == {
        "http://hooks.example.test/": "use https.",
        "https://127.0.0.1/": "the host resolves to a private, loopback, link-local or reserved address.",
        "https://2130706433/": "write an IP address as four decimal numbers (or use a host name).",
        "https://u:p@hooks.example.test/": "credentials in the URL are not allowed.",
    }


def deliver_once(subscription_id: int) -> WebhookDelivery:
    from tenant_apps.agents.webhooks import attempt_delivery

    delivery = WebhookDelivery.objects.create(subscription_id=subscription_id, event="order.settled",
                                              payload={"order": str(uuid.uuid4())})
    delivery, attempted = attempt_delivery(delivery_id=delivery.pk)
    assert attempted
    return delivery


def test_delivery_checks_again_after_dns_resolution_and_never_reaches_the_rebound_address(
        production_rules, fake_dns, internal, host_client):
    """Public when registered, 127.0.0.1 when delivered (DNS rebinding): refused, nothing reaches it."""
    from tenant_apps.agents.webhooks import subscription_create

    fake_dns["rebind.example.test"] = [[PUBLIC_IP], ["127.0.0.1"]]
    with schema_context("quickvend"):
        subscription, _ = subscription_create(url=f"https://rebind.example.test:{internal.port}/admin/",
                                              events=["*"], created_by=None)
        delivery = deliver_once(subscription.pk)
        # A row written before the rules existed (or straight into the table) is refused the same way.
        legacy = WebhookSubscription.objects.create(url=f"http://127.0.0.1:{internal.port}/admin/", events=["*"],
                                                    secret_encrypted=subscription.secret_encrypted)
        legacy_delivery = deliver_once(legacy.pk)
        attempts = list(DeliveryAttempt.objects.filter(delivery__in=[delivery, legacy_delivery])
                        .values_list("status_code", "error"))
    assert internal.hits == []
    assert attempts == [(None, "destination_refused"), (None, "destination_refused")]
    assert delivery.status == legacy_delivery.status == "pending"  # retried later, refused again


def self_signed(name: str, tmp_path) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


def test_https_goes_to_the_checked_address_and_still_verifies_the_name(settings, fake_dns, tmp_path):
    """The name exists only in the fake DNS, answered once: the connection uses the checked address (a second
    lookup would fail), and TLS verifies the certificate against the name (another name: tls_error)."""
    cert, key = self_signed("receiver.example.test", tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    service = InternalService(status=204, tls=tls)
    settings.OUTBOUND_URLS = {**settings.OUTBOUND_URLS, "ALLOW_LOOPBACK": True, "CA_BUNDLE": cert}
    try:
        fake_dns["receiver.example.test"] = [["127.0.0.1"], ["203.0.113.99"]]  # 2nd answer unroutable
        result = outbound.post(f"https://receiver.example.test:{service.port}/hook?x=1", body=b"{}",
                               headers={"Content-Type": "application/json"}, timeout=3)
        assert (result.status_code, result.error) == (204, "")
        assert service.hits[0]["host"] == f"receiver.example.test:{service.port}"
        assert service.hits[0]["path"] == "/hook?x=1"
        fake_dns["impostor.example.test"] = [["127.0.0.1"]]
        wrong_name = outbound.post(f"https://impostor.example.test:{service.port}/hook", body=b"{}", headers={},
                                   timeout=3)
        assert (wrong_name.status_code, wrong_name.error) == (None, "tls_error")
        assert len(service.hits) == 1
    finally:
        service.stop()


def test_no_redirect_is_followed_and_no_answer_body_is_kept(settings, host_client):
    """Even where loopback receivers are allowed (tests, development): a 302 towards the metadata service is
    just a failed attempt, and the internal answer's body appears nowhere in the delivery log."""
    from tenant_apps.agents.webhooks import subscription_create

    target = InternalService()
    redirector = InternalService(status=302, headers=[("Location", f"http://127.0.0.1:{target.port}/latest/")])
    talker = InternalService(status=500, body=b"INTERNAL-SECRET-BODY: root password is hunter2")
    try:
        admin = make_user("quickvend", email=f"ssrf-log-{uuid.uuid4().hex[:8]}@qv.test", role="operator_admin")
        with schema_context("quickvend"):
            redirect_hook, _ = subscription_create(url=f"http://127.0.0.1:{redirector.port}/", events=["*"],
                                                   created_by=None)
            talk_hook, _ = subscription_create(url=f"http://127.0.0.1:{talker.port}/", events=["*"], created_by=None)
            redirected, talked = deliver_once(redirect_hook.pk), deliver_once(talk_hook.pk)
        assert (redirected.last_status_code, redirected.status) == (302, "pending")
        assert len(redirector.hits) == 1 and target.hits == []
        assert talked.last_status_code == 500 and len(talker.hits) == 1
        client = host_client(HOST)
        log = call(client, "GET", "/api/resellers/webhooks/deliveries", token=login(client, admin.email)["access"])
        assert log.status_code == 200
        assert b"INTERNAL-SECRET" not in log.content and b"hunter2" not in log.content
        with schema_context("quickvend"):
            stored = list(DeliveryAttempt.objects.values_list("error", flat=True))
        assert not any("INTERNAL" in (error or "") for error in stored)
    finally:
        for service in (target, redirector, talker):
            service.stop()


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/iam/", "https://169.254.169.254/",
                                 "https://10.0.0.5/api", "http://api.example.test/", "https://private.example.test/",
                                 "https://2130706433/", "https://[fd00:ec2::254]/"])
def test_a_provider_endpoint_must_be_a_public_https_address(production_rules, fake_dns, host_client, tenants, url):
    """The registry's base_url is where the platform sends the provider's stored credentials and whose answers it
    archives for operators to read: the console and the Django admin took any http(s) URL, metadata and private
    addresses included. Now the same rule as a reseller webhook (shared_apps.core.outbound.check_url)."""
    from shared_apps.providers.admin import ProviderForm as AdminProviderForm
    from shared_apps.providers.models import Provider
    from tests.portal.test_pages import console_client

    fake_dns.update({"api.example.test": [[PUBLIC_IP]], "private.example.test": [[PUBLIC_IP, "10.1.2.3"]]})
    provider = Provider.objects.create(name=f"SSRF VTPass {uuid.uuid4().hex[:6]}", country="NG", plugin_key="vtpass",
                                       base_url="https://api.example.test/", capabilities=["airtime"])
    client = console_client(host_client, "super_admin")
    form = {"status": "active", "routing_priority": 5, "timeout_seconds": 10, "credentials": ""}
    refused = client.post(f"/console/providers/{provider.pk}", {**form, "base_url": url})
    assert refused.status_code == 400, url
    provider.refresh_from_db()
    assert provider.base_url == "https://api.example.test/"
    admin_form = AdminProviderForm(instance=provider, data={
        "name": provider.name, "country": "NG", "capabilities": '["airtime"]', "plugin_key": "vtpass",
        "base_url": url, "options": "{}", "timeout_seconds": 10, "status": "active", "routing_priority": 5})
    assert not admin_form.is_valid() and "base_url" in admin_form.errors
    accepted = client.post(f"/console/providers/{provider.pk}", {**form, "base_url": "https://api.example.test/v2"})
    assert accepted.status_code == 302
    provider.refresh_from_db()
    assert provider.base_url == "https://api.example.test/v2"


def test_a_provider_moved_to_another_host_needs_its_credentials_again(production_rules, fake_dns, host_client,
                                                                     tenants):
    """The stored credentials were issued for the provider's host: pointing the row at another (public) host would
    send them there with the next call. The console and the Django admin ask for the credentials again; a path
    change on the same host keeps them."""
    from shared_apps.providers.admin import ProviderForm as AdminProviderForm
    from shared_apps.providers.crypto import decrypt_credentials
    from shared_apps.providers.models import Provider
    from shared_apps.providers.services import provider_set_credentials
    from tests.portal.test_pages import console_client

    fake_dns.update({"api.example.test": [[PUBLIC_IP]], "elsewhere.example.test": [[PUBLIC_IP]]})
    provider = Provider.objects.create(name=f"Moved VTPass {uuid.uuid4().hex[:6]}", country="NG", plugin_key="vtpass",
                                       base_url="https://api.example.test/", capabilities=["airtime"])
    provider_set_credentials(provider=provider, credentials={"api_key": "issued-for-api.example.test"})
    client = console_client(host_client, "super_admin")
    form = {"status": "active", "routing_priority": 5, "timeout_seconds": 10, "credentials": ""}
    refused = client.post(f"/console/providers/{provider.pk}", {**form, "base_url": "https://elsewhere.example.test/"})
    assert refused.status_code == 400 and b"enter the credentials for it again" in refused.content
    provider.refresh_from_db()
    assert provider.base_url == "https://api.example.test/"
    admin_data = {"name": provider.name, "country": "NG", "capabilities": "airtime", "plugin_key": "vtpass",
                  "base_url": "https://elsewhere.example.test/", "options": "{}", "timeout_seconds": 10,
                  "status": "active", "routing_priority": 5}
    admin_form = AdminProviderForm(instance=provider, data=admin_data)
    assert not admin_form.is_valid() and "new_credentials" in admin_form.errors
    with_keys = AdminProviderForm(instance=provider, data={**admin_data, "new_credentials": '{"api_key": "new"}'})
    assert with_keys.is_valid(), with_keys.errors
    same_host = client.post(f"/console/providers/{provider.pk}", {**form, "base_url": "https://api.example.test/v2"})
    assert same_host.status_code == 302
    moved = client.post(f"/console/providers/{provider.pk}", {**form, "base_url": "https://elsewhere.example.test/",
                                                              "credentials": "api_key=issued-for-elsewhere"})
    assert moved.status_code == 302
    provider.refresh_from_db()
    assert provider.base_url == "https://elsewhere.example.test/"
    assert decrypt_credentials(provider.credentials_encrypted) == {"api_key": "issued-for-elsewhere"}
