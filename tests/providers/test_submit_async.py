"""``submit_async`` (interfaces.aio): the connectors' own translation, many calls in flight from one loop,
over the dispatcher's pooled transport, against the simulators over HTTP."""

from __future__ import annotations

import asyncio
import time

from provider_plugins.interfaces import AirtimeTopupRequest, OutcomeStatus
from provider_plugins.interfaces.observe import observe_exchanges
from provider_plugins.simkit.simulator import FaultMode
from tenant_apps.orders.dispatch.batch import run_coroutine
from tenant_apps.orders.dispatch.transport import Transports

from .helpers import vtpass_request_id


def _airtime(request_id: str, phone: str = "+2348011111111", operator: str = "mtn", amount: int = 10_000,
             currency: str = "NGN", country: str = "NG") -> AirtimeTopupRequest:
    return AirtimeTopupRequest(request_id=request_id, recipient_phone=phone, amount_minor=amount,
                               currency=currency, country=country, operator_code=operator)


def _run(calls):
    async def main():
        transports = Transports(limit=32)
        try:
            return await asyncio.gather(*(call(transports.for_provider(1)) for call in calls))
        finally:
            await transports.close()

    return run_coroutine(main())  # a browser test earlier in this worker may have a loop running


def test_many_top_ups_are_in_flight_at_once(vtpass, vtpass_sim):
    vtpass_sim.latency_seconds = 0.4
    ids = [vtpass_request_id() for _ in range(12)]
    started = time.monotonic()
    results = _run([lambda t, rid=rid: vtpass.submit_async(_airtime(rid), transport=t) for rid in ids])
    elapsed = time.monotonic() - started
    assert [r.status for r in results] == [OutcomeStatus.SUCCESS] * 12
    assert [r.request_id for r in results] == ids
    assert all(vtpass_sim.delivery_count(rid) == 1 for rid in ids)
    assert elapsed < 0.4 * 12 / 3, elapsed  # serially this is 4.8 s; concurrently about one latency


def test_the_answers_mean_what_the_sync_call_says(vtpass, vtpass_sim):
    """A duplicate request id is answered by a requery (two exchanges, replayed); a 5xx is unclear (pending);
    a hang past the timeout is pending; the same mapping as ``airtime``."""
    rid = vtpass_request_id()
    assert vtpass.airtime(_airtime(rid)).status == OutcomeStatus.SUCCESS
    with observe_exchanges() as exchanges:
        [again] = _run([lambda t: vtpass.submit_async(_airtime(rid), transport=t)])
    assert again.status == OutcomeStatus.SUCCESS and vtpass_sim.delivery_count(rid) == 1
    assert [e.url.rsplit("/", 1)[-1] for e in exchanges] == ["pay", "requery"]
    assert all(e.status == 200 and e.response_body for e in exchanges)
    vtpass_sim.set_fault(FaultMode.SERVER_ERROR, times=1)
    [unclear] = _run([lambda t: vtpass.submit_async(_airtime(vtpass_request_id()), transport=t)])
    assert unclear.status == OutcomeStatus.PENDING and unclear.reason == "http_500"
    vtpass_sim.set_fault(FaultMode.TIMEOUT, times=1)
    [hung] = _run([lambda t: vtpass.submit_async(_airtime(vtpass_request_id()), transport=t)])
    assert hung.status == OutcomeStatus.PENDING and hung.reason == "timeout"


def test_a_refused_connection_is_nothing_sent(vtpass):
    from dataclasses import replace

    from provider_plugins.interfaces import ProviderUnavailable
    from provider_plugins.vtpass import VTPassConnector

    closed = VTPassConnector(replace(vtpass.config, base_url="http://127.0.0.1:9"))
    try:
        _run([lambda t: closed.submit_async(_airtime(vtpass_request_id()), transport=t)])
    except ProviderUnavailable as exc:
        assert exc.code == "provider_unreachable"
    else:
        raise AssertionError("a refused connection must raise ProviderUnavailable")


def test_token_then_top_up_through_the_aggregator(aggregator, aggregator_sim):
    rid = "agg-async-1"
    [result] = _run([lambda t: aggregator.submit_async(_airtime(rid, phone="+233244123456", operator="",
                                                                 amount=1_000, currency="GHS", country="GH"),
                                                        transport=t)])
    assert result.status == OutcomeStatus.SUCCESS and aggregator_sim.delivery_count(rid) == 1


def test_dt_one_airtime(dtone, dtone_sim):
    rid = "dt-async-1"
    request = _airtime(rid, phone="+2348031234567", operator="112001", amount=50_000)  # MTN NG ranged airtime
    [result] = _run([lambda t: dtone.submit_async(request, transport=t)])
    assert result.status in (OutcomeStatus.SUCCESS, OutcomeStatus.PENDING)
    assert dtone_sim.by_external_id[rid].external_id == rid


def test_the_replay_session_prepares_requests_as_requests_does():
    """The replaying session's lean ``prepare_request`` gives what ``requests.Session`` gives (method, URL with
    params, headers in order, body), and falls back to it when the session has settings of its own."""
    import requests

    from provider_plugins.interfaces.aio import _ReplaySession

    cases = [
        requests.Request("post", "https://p.example/api/pay", json={"a": 1, "b": [1, 2]},
                         headers={"api-key": "k", "Accept": "application/json"}),
        requests.Request("GET", "https://p.example/api/requery?x=1", params={"y": "2", "z": None},
                         headers={"User-Agent": None, "X-Trace": "t"}),  # type: ignore[dict-item]  # None drops
        requests.Request("POST", "https://p.example/token", data={"grant_type": "client_credentials"},
                         auth=("id", "secret")),
    ]
    for request in cases:
        reference = requests.Session()
        reference.trust_env = False
        expected, got = reference.prepare_request(request), _ReplaySession([]).prepare_request(request)
        assert (got.method, got.url, list(got.headers.items()), got.body) == \
            (expected.method, expected.url, list(expected.headers.items()), expected.body)
    session = _ReplaySession([])
    session.params = {"session": "1"}  # a setting of its own: requests' full merge
    assert session.prepare_request(cases[0]).url == "https://p.example/api/pay?session=1"


def test_the_native_vtpass_call_sends_and_reports_what_the_replay_did(vtpass, vtpass_sim):
    """VTPass's own ``submit_async`` (``send_async``) against the replay of its sync code (``AsyncSubmit``): the
    same requests on the wire (method, URL, headers in order, body), the same exchanges reported and the same
    outcome, for a delivery, a duplicate (pay, then requery), a 5xx, a hang, a garbage answer and a failure."""
    from functools import partial

    from provider_plugins.interfaces.aio import AsyncSubmit

    phones = iter(range(100, 200))  # one number per call: the simulator refuses a likely duplicate

    def seen(submit, rid: str, fault: FaultMode | str | None) -> tuple:
        request = _airtime(rid, phone=f"+234801{next(phones):03d}{'9990' if fault == FaultMode.FAILURE else '1234'}")
        if fault == "duplicate":
            vtpass.airtime(request)  # delivered before: VTPass answers the duplicate request id
        elif fault and fault != FaultMode.FAILURE:
            vtpass_sim.set_fault(fault, times=1)
        with observe_exchanges() as exchanges:
            [result] = _run([lambda t: submit(request, transport=t)])
        return ((result.status, result.reason, result.provider_code, result.token, result.delivered_amount_minor),
                [(e.method, e.url, list(e.request_headers.items()),
                  e.request_body.replace(rid, "RID").replace(request.recipient_phone[4:], "PHONE"), e.status,
                  sorted(e.response_headers), e.error) for e in exchanges])

    for fault in (None, "duplicate", FaultMode.SERVER_ERROR, FaultMode.TIMEOUT, FaultMode.GARBAGE,
                  FaultMode.FAILURE):
        replayed = seen(partial(AsyncSubmit.submit_async, vtpass), vtpass_request_id(), fault)
        native = seen(vtpass.submit_async, vtpass_request_id(), fault)
        assert native == replayed, fault
        assert native[1] and all(headers for _m, _u, headers, *_ in native[1])
