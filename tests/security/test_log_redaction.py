"""Issue 14 (smaller items): phone numbers and other personal data never appear in log lines.

Real requests carry a phone number, an e-mail address, a BVN and a bank account number in bodies and
query strings; every logger is at DEBUG and every record goes through the project's own log formatter
(the JSON pipeline of settings/integrations/logging.py), as it would in production. The captured
output must not contain any of them, in any spelling (E.164, local, URL-encoded).
"""

from __future__ import annotations

import io
import logging
from urllib.parse import quote

import pytest
import structlog
from django.conf import settings
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from shared_apps.core.redaction import redact_text
from tests.accounts.helpers import call
from tests.support.logs import every_logger_at_debug

pytestmark = pytest.mark.django_db

EMAIL = "adaeze.okafor@example.test"
PHONE_LOCAL = "08035550147"
PHONE_E164 = "+2348035550147"
BVN = "22255507788"
ACCOUNT_NUMBER = "0123456789"
FULL_NAME = "Adaeze Okafor"
PERSONAL = (EMAIL, PHONE_LOCAL, PHONE_E164, PHONE_E164[1:], quote(PHONE_E164, safe=""), quote(EMAIL, safe=""),
            BVN, ACCOUNT_NUMBER, FULL_NAME, "8035550147")


@pytest.fixture
def pipeline_output():
    """Every logger at DEBUG, rendered by the configured ``json`` formatter into a buffer."""
    options = dict(settings.LOGGING["formatters"]["json"])
    formatter = options.pop("()")(**options)
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(formatter)
    handler.setLevel(logging.DEBUG)
    with every_logger_at_debug(handler):
        yield buffer


def test_requests_carrying_personal_data_leave_none_in_the_logs(host_client, pipeline_output, sms_simulator):
    client = host_client("ng.localhost")
    registered = call(client, "POST", "/api/auth/register", {"email": EMAIL, "phone": PHONE_LOCAL,
                                                             "password": "Kano-harmattan-2026!"})
    assert registered.status_code == 201, registered.content
    assert call(client, "POST", "/api/auth/otp", {"phone": PHONE_E164}).status_code == 202
    assert call(client, "POST", "/api/auth/login", {"email": EMAIL, "password": "wrong-password-1"}).status_code == 401
    # Query strings: an unauthenticated read (401) and an unknown path (404) are logged by Django with the request.
    query = f"?phone={quote(PHONE_E164)}&email={quote(EMAIL)}&bvn={BVN}&account_number={ACCOUNT_NUMBER}"
    assert client.get(f"/api/wallet/transactions{query}").status_code == 401
    assert client.get(f"/api/no-such-thing{query}&name={quote(FULL_NAME)}").status_code == 404
    assert client.get(f"/api/products{query}").status_code == 200
    # Our own code's log calls: arguments and extra fields (the notification and payout shapes).
    logging.getLogger("tenant_apps.notifications.messages").warning("email %s to %s failed", "welcome", EMAIL)
    logging.getLogger("tenant_apps.wallet.transfers").warning(
        "payout refused", extra={"account_number": ACCOUNT_NUMBER, "account_name": FULL_NAME, "phone": PHONE_LOCAL})
    structlog.get_logger("tenant_apps.kyc").info("kyc check", bvn=BVN, recipient=PHONE_E164,
                                                  note=f"number {BVN} for {EMAIL}")
    try:
        raise ValueError(f'duplicate key value violates unique constraint: Key (email)=({EMAIL}) already exists')
    except ValueError:
        logging.getLogger("django.request").exception("Internal Server Error: /api/auth/register")

    output = pipeline_output.getvalue()
    assert output.count("\n") > 10, output  # the session really was logged
    leaked = [value for value in PERSONAL if value in output]
    assert leaked == [], [line for line in output.splitlines() if any(value in line for value in leaked)][:5]
    assert "[email]" in output and "[redacted]" in output and "[number]" in output
    assert '"path": "/api/wallet/transactions"' in output  # what the line is about stays readable


def test_the_shapes_recognised():
    assert redact_text(f"to {EMAIL} or {quote(EMAIL, safe='')}") == "to [email] or [email]"
    assert redact_text(f"{PHONE_E164} {quote(PHONE_E164, safe='')} {PHONE_LOCAL}") == "[phone] [phone] [number]"
    assert redact_text(f"bvn={BVN}&acct={ACCOUNT_NUMBER}") == "bvn=[number]&acct=[number]"
    # A provider key in a URL (Open Exchange Rates' app_id, as urllib3 logs it at DEBUG), in any parameter spelling.
    assert redact_text('"GET /api/latest.json?app_id=5f0c2e9a7b&symbols=NGN,GHS HTTP/1.1" 200') == \
        '"GET /api/latest.json?app_id=[secret]&symbols=NGN,GHS HTTP/1.1" 200'
    assert redact_text("url /x?apiKey=abc123XYZ;access_token=t0k3n secret=s3cr3t") == \
        "url /x?apiKey=[secret];access_token=[secret] secret=[secret]"
    assert redact_text("idempotency_key=abc-123 monkey=banana") == "idempotency_key=abc-123 monkey=banana"
    # Ids, times and amounts stay.
    untouched = "order 4f1c9a2e-1234-4abc-9def-0123456789ab at 2026-11-27T10:00:00.000000Z amount 150000 NGN"
    assert redact_text(untouched) == untouched


def _five_substitutions(text: str) -> str:
    """redact_text without its pre-check: the five substitutions, always."""
    from shared_apps.core import redaction

    text = redaction._SECRET_PARAM.sub(r"\1[secret]", text)
    text = redaction._PATH_TOKEN.sub(r"\1[token]", text)
    text = redaction._EMAIL.sub("[email]", text)
    text = redaction._INTERNATIONAL_PHONE.sub("[phone]", text)
    return redaction._LONG_NUMBER.sub("[number]", text)


@hypothesis_settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=40), st.text(alphabet="0123456789+@%4a./ussd_-=&?key", max_size=40),
                      st.sampled_from(["POST /api/purchase", "+2348031234567", "a@b.co", "x%40y.org",
                                       "/ussd/africastalking/abcdefgh123", "08031234567"])))
def test_the_pre_check_only_skips_text_the_substitutions_leave_alone(text):
    assert redact_text(text) == _five_substitutions(text)


# Each substitution's own pre-check (a literal every match of its pattern contains): text built from those literals.
_NEAR_MISSES = st.text(alphabet="0123456789+@%24aBbE./ussd_-xy=&?_kei", max_size=50)


@hypothesis_settings(max_examples=500, deadline=None)
@given(text=st.one_of(_NEAR_MISSES, st.lists(st.sampled_from(
    ["%2B234", "%2b80", "+", "%40", "@", "x.io", "/ussd/", "at_gw/", "abcdefgh", "0803", "1234567", "12", "-", " ",
     "?app_id=", "&key=", "_key=", "=", "&", "token="]),
    max_size=8).map("".join)))
def test_each_substitution_is_skipped_only_where_it_could_not_match(text):
    assert redact_text(text) == _five_substitutions(text)


def _reference_redact(value, depth=0):
    """The redaction step as it was before its fast path for plain values (issue 18): every value through the
    general function."""
    from shared_apps.core import redaction

    if isinstance(value, redaction._KEEP):
        return value
    if isinstance(value, str):
        return _five_substitutions(value)
    if depth >= redaction._MAX_DEPTH:
        return redaction.REDACTED
    if isinstance(value, dict):
        return {key: redaction.REDACTED if redaction._is_sensitive(key) and item not in (None, "")
                else _reference_redact(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_reference_redact(item, depth + 1) for item in value]
    summary = redaction._request_summary(value)
    if summary is not None:
        return summary
    return _five_substitutions(str(value))


class _Label(str):
    pass


_KEYS = st.sampled_from(["phone", "Email", "BVN", "recipient_phone", "event", "path", "user", "status", "note",
                         "request_id", 7, None, ("phone",), _Label("phone"), _Label("note")])
_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.just(""),
                    st.sampled_from([EMAIL, PHONE_E164, PHONE_LOCAL, "POST", "/api/purchase", "2026-12-07T06:21:13Z",
                                     "5375a22ae64e4e51b009a78cbd27893c", _Label(PHONE_LOCAL)]),
                    st.sampled_from([__import__("http").HTTPStatus.ACCEPTED, __import__("decimal").Decimal("50.00")]),
                    _NEAR_MISSES)


@hypothesis_settings(max_examples=300, deadline=None)
@given(event=st.dictionaries(_KEYS, st.recursive(
    _LEAVES, lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)),
    max_leaves=12), max_size=8))
def test_the_plain_values_fast_path_redacts_as_before(event):
    from shared_apps.core.redaction import redact_personal_data

    redacted = redact_personal_data(None, "info", event)
    expected = _reference_redact(event)
    assert redacted == expected
    assert [type(value) for value in redacted.values()] == [type(value) for value in expected.values()]


def test_deep_values_are_still_cut_at_the_depth_limit():
    from shared_apps.core.redaction import REDACTED, redact_personal_data

    deep: dict = {"phone": PHONE_LOCAL}
    for _ in range(8):
        deep = {"inner": deep, "note": f"call {PHONE_E164}"}
    assert redact_personal_data(None, "info", {"event": "x", "deep": deep}) == _reference_redact(
        {"event": "x", "deep": deep})
    assert REDACTED in str(redact_personal_data(None, "info", {"deep": deep}))


def _configured_formatter(processors=None):
    options = dict(settings.LOGGING["formatters"]["json"])
    if processors is not None:
        options["processors"] = processors
    return options.pop("()")(**options)


def _reference_processors():
    """The JSON formatter's processors with the request context and redaction as they were (issue 18)."""
    from shared_apps.core.context import current_request_id, current_user_label
    from shared_apps.core.logging import _current_tenant

    def add_request_context(_logger, _method, event_dict):
        event_dict.setdefault("request_id", current_request_id())
        event_dict.setdefault("tenant", _current_tenant())
        event_dict.setdefault("user", current_user_label())
        return event_dict

    configured = settings.LOGGING["formatters"]["json"]["processors"]
    return [add_request_context, *configured[1:3], lambda _l, _m, event_dict: _reference_redact(event_dict),
            configured[-1]]


@pytest.mark.parametrize("request_id, path, user", [
    ("5375a22ae64e4e51b009a78cbd27893c", "/api/purchase", "3"),
    ("08035550147", f"/api/users/{EMAIL}/phone/{quote(PHONE_E164, safe='')}", "12345678901"),
    ("req.2026-12-07", "/ussd/africastalking/abcdefgh123/", "anonymous"),
])
def test_the_access_line_renders_as_before(request_id, path, user):
    """The access line through the configured formatter is byte for byte what the former processors made of the
    same record, personal data redacted."""
    from shared_apps.core.context import request_id_var

    records: list[logging.LogRecord] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    capture = Capture()
    logger = logging.getLogger("nexustop.request")
    logger.addHandler(capture)
    token = request_id_var.set(request_id)
    try:
        structlog.get_logger("nexustop.request").info("request", method="POST", path=path, status=202,
                                                      duration_ms=2.51, user=user)
    finally:
        request_id_var.reset(token)
        logger.removeHandler(capture)
    [record] = records
    token = request_id_var.set(request_id)
    try:
        line = _configured_formatter().format(record)
        expected = _configured_formatter(_reference_processors()).format(record)
    finally:
        request_id_var.reset(token)
    assert line == expected
    assert '"request_id": ' in line and EMAIL not in line and PHONE_LOCAL not in line and "abcdefgh123" not in line


class _Refuse:
    """Stands for a pattern or function the fast paths must not reach."""

    def __getattr__(self, name):
        raise AssertionError(f"reached: {name}")

    def __call__(self, *args, **kwargs):
        raise AssertionError("called")


def test_ids_and_times_skip_the_email_and_phone_searches(monkeypatch):
    """The cost saved (issue 18): the e-mail pattern's search is slow on long ids and timestamps."""
    from shared_apps.core import redaction

    texts = ("5375a22ae64e4e51b009a78cbd27893c", "2026-12-07T06:21:13.309463Z", "3", "bvn=22255507788")
    expected = [_five_substitutions(text) for text in texts]
    monkeypatch.setattr(redaction, "_EMAIL", _Refuse())
    monkeypatch.setattr(redaction, "_INTERNATIONAL_PHONE", _Refuse())
    monkeypatch.setattr(redaction, "_PATH_TOKEN", _Refuse())
    assert [redact_text(text) for text in texts] == expected
    assert expected[-1] == "bvn=[number]"
    monkeypatch.setattr(redaction, "_LONG_NUMBER", _Refuse())
    assert redact_text("id 12345") == "id 12345"  # under ten characters: no run of ten digits


def test_a_flat_event_is_redacted_without_the_general_function(monkeypatch):
    from shared_apps.core import redaction

    event = {"event": "request", "method": "POST", "path": f"/api/x/{EMAIL}", "status": 202, "duration_ms": 2.5,
             "user": "3", "phone": PHONE_LOCAL, "email": "", "level": "info", "request_id": None, "ok": True}
    expected = _reference_redact(event)
    monkeypatch.setattr(redaction, "_redact", _Refuse())
    assert redaction.redact_personal_data(None, "info", event) == expected


def test_the_context_is_not_computed_for_fields_the_line_has(monkeypatch):
    from shared_apps.core import logging as log_context

    monkeypatch.setattr(log_context, "current_user_label", _Refuse())
    monkeypatch.setattr(log_context, "_current_tenant", _Refuse())
    monkeypatch.setattr(log_context, "current_request_id", _Refuse())
    event = {"event": "request", "user": "3", "tenant": "ng", "request_id": "abc"}
    assert log_context.add_request_context(None, "info", dict(event)) == event


def test_a_provider_key_in_a_url_stays_out_of_the_logs(pipeline_output):
    """Open Exchange Rates takes its app id in the query string; urllib3 logs every request line at DEBUG. With
    every logger at DEBUG, a real call to the simulator leaves the line (redacted) and not the key."""
    from provider_plugins.interfaces.common import ProviderConfig
    from provider_plugins.openexchangerates import OpenExchangeRatesConnector
    from provider_plugins.openexchangerates.simulator import OpenExchangeRatesSimulator

    with OpenExchangeRatesSimulator(app_id="0a1b2c3d4e5f60718293a4b5c6d7e8f9") as sim:
        config = ProviderConfig(base_url=sim.url, credentials={"app_id": sim.app_id}, timeout_seconds=5)
        assert OpenExchangeRatesConnector().rate(config, base="NGN", quote="GHS").rate_e9 > 0
    output = pipeline_output.getvalue()
    assert "/api/latest.json?app_id=[secret]&symbols=NGN" in output  # urllib3's line, there and redacted
    assert sim.app_id not in output


def test_the_access_record_itself_carries_no_ussd_callback_token(client, caplog):
    """The redacting formatter hides the USSD callback URL's token; the access record is made without it too, so a
    handler rendering records raw (caplog here: no project formatter) cannot show it."""
    token = "Zk3pQ9xW2mT7vR4sY8uN1bC6"
    with caplog.at_level(logging.INFO, logger="nexustop.request"):
        client.post(f"/ussd/africastalking/{token}", {"sessionId": "x"}, HTTP_HOST="ng.localhost")
    access = [record for record in caplog.records if record.name == "nexustop.request"]
    assert access, "no access record"
    raw = " ".join(str(record.msg) + record.getMessage() for record in access)
    assert token not in raw and "/ussd/africastalking/[token]" in raw
