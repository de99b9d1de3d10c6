"""A DT One DVS look-alike for the 16 West African countries (see ``protocol`` for the public pages).

Products: for every operator a ``RANGED_VALUE_RECHARGE`` airtime product (any local amount within
bounds, charged at the wholesale rate) and, for the first operator of each country, three
``FIXED_VALUE_RECHARGE`` data bundles with a DATA benefit. The account is kept in USD.

Transactions are asynchronous: ``POST /async/transactions`` answers 201 with the transaction
(CREATED, or CONFIRMED with ``auto_confirm``); ``completion_delay_seconds`` later it moves to
SUBMITTED and COMPLETED (or DECLINED), and the transaction object is POSTed to ``callback_url``
when one was given. ``completion_delay_seconds=None`` leaves that to ``complete(...)``.
Each transaction is unique by ``external_id`` (reuse: 400 ``1007001``).

Faults (``simkit.simulator``): ``server_error`` 503 without acting, ``timeout``/``no_response``/
``garbage`` after acting, ``duplicate_reply`` (acts, then answers 1007001), ``failure`` (DECLINED),
``pending_then_success`` (stays SUBMITTED until polled ``pending_requeries`` times). ``reverse(...)``
plays DT One's manual reversal after success; ``build_callback``/``send_callback`` replay callbacks
(duplicates, out of order). With ``preprod=True`` the documented sandbox suffixes (``…102`` declined
invalid credit party, …) decide the outcome, as on ``preprod-dvs-api.dtone.com``.

Besides the calls the connector makes, the other calls of the official SDK (``@dtone/dvs``) are answered as the
published OpenAPI reference (1.14.0) says: ``/countries/{iso3}``, ``/services/{id}``, ``/operators/{id}``,
``/benefit-types``, ``/promotions`` and ``/campaigns`` (none running: empty pages), ``POST /lookup/mobile-number``
and the deprecated synchronous mode (``/sync/transactions`` and its ``confirm``: the final status in the answer,
or SUBMITTED when completion is left to ``complete``/polls). Pages carry ``X-Next-Page``/``X-Prev-Page``.

Fidelity: tests/providers/test_dtone_sdk_fidelity.py runs DT One's official Node.js SDK against this server
(DT One publishes no Python SDK for DVS).
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import requests

from provider_plugins.interfaces.money import currency_exponent
from provider_plugins.interfaces.numbering import ALPHA3_TO_ALPHA2, COUNTRIES, detect_network
from provider_plugins.simkit.simulator import FaultMode, Request, Response, SimulatorServer

from . import protocol as p

DEFAULT_CREDENTIALS = {"api_key": "3f1c9a52-7d4e-4b8a-9c61-2e5f0a7b8d13",
                       "api_secret": "b84e2d17-5a3c-4f09-8e6b-91c7d2a4f560"}
ACCOUNT_CURRENCY = "USD"
FX_BASE = {"XOF": Decimal("605.50"), "NGN": Decimal("1540.00"), "GHS": Decimal("15.40"), "GMD": Decimal("71.20"),
           "GNF": Decimal("8620.00"), "LRD": Decimal("191.50"), "SLE": Decimal("22.60"), "CVE": Decimal("101.30"),
           "MRU": Decimal("39.80")}
WHOLESALE_DISCOUNT = Decimal("0.035")  # the wholesale rate gives 3.5 % more local value than the base rate
RETAIL_MARKUP = Decimal("0.03")
RANGES = {"XOF": ("100", "50000"), "NGN": ("50", "50000"), "GHS": ("1", "500"), "GMD": ("10", "5000"),
          "GNF": ("1000", "500000"), "LRD": ("50", "10000"), "SLE": ("5", "1000"), "CVE": ("50", "5000"),
          "MRU": ("20", "2000")}
BUNDLES = {"XOF": [("500", "1", 7), ("1000", "2.5", 30), ("5000", "12", 30)],
           "NGN": [("500", "1", 7), ("1500", "3", 30), ("3500", "10", 30)],
           "GHS": [("5", "1", 7), ("10", "2.5", 30), ("20", "6", 30)],
           "GMD": [("50", "1", 7), ("150", "3", 30), ("400", "10", 30)],
           "GNF": [("5000", "1", 7), ("15000", "3", 30), ("50000", "12", 30)],
           "LRD": [("100", "1", 7), ("300", "3", 30), ("900", "10", 30)],
           "SLE": [("15", "1", 7), ("45", "3", 30), ("120", "10", 30)],
           "CVE": [("150", "1", 7), ("400", "3", 30), ("1000", "10", 30)],
           "MRU": [("50", "1", 7), ("150", "3", 30), ("400", "10", 30)]}
# Operator names as DT One lists them (network key -> name) per country; ids are DT One's style.
OPERATOR_NAMES = {
    "BJ": {"mtn": "MTN Benin", "moov": "Moov Benin", "celtiis": "Celtiis Benin"},
    "BF": {"orange": "Orange Burkina Faso", "moov": "Moov Burkina Faso", "telecel": "Telecel Faso"},
    "CV": {"cvmovel": "CVMovel Cape Verde", "unitel": "Unitel T+ Cape Verde"},
    "CI": {"orange": "Orange Ivory Coast", "mtn": "MTN Ivory Coast", "moov": "Moov Ivory Coast"},
    "GM": {"africell": "Africell Gambia", "qcell": "QCell Gambia", "gamcel": "Gamcel Gambia",
           "comium": "Comium Gambia"},
    "GH": {"mtn": "MTN Ghana", "telecel": "Telecel Ghana", "at": "AT Ghana"},
    "GN": {"orange": "Orange Guinea", "mtn": "MTN Guinea", "cellcom": "Cellcom Guinea"},
    "GW": {"orange": "Orange Guinea-Bissau", "mtn": "Telecel Guinea-Bissau"},
    "LR": {"lonestar": "Lonestar Cell MTN Liberia", "orange": "Orange Liberia"},
    "ML": {"orange": "Orange Mali", "moov": "Moov Africa Malitel", "telecel": "Telecel Mali"},
    "MR": {"mauritel": "Mauritel Mauritania", "chinguitel": "Chinguitel Mauritania", "mattel": "Mattel Mauritania"},
    "NE": {"airtel": "Airtel Niger", "moov": "Moov Niger", "zamani": "Zamani Telecom Niger"},
    "NG": {"mtn": "MTN Nigeria", "airtel": "Airtel Nigeria", "glo": "Glo Nigeria", "9mobile": "9mobile Nigeria"},
    "SN": {"orange": "Orange Senegal", "free": "Yas Senegal", "expresso": "Expresso Senegal"},
    "SL": {"africell": "Africell Sierra Leone", "orange": "Orange Sierra Leone", "qcell": "QCell Sierra Leone"},
    "TG": {"togocel": "Yas Togo", "moov": "Moov Africa Togo"},
}


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _num(value: Decimal, places: str = "0.01") -> float:
    return float(value.quantize(Decimal(places), rounding=ROUND_HALF_UP))


def _whole(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _span(low: Decimal, high: Decimal) -> dict[str, int | float]:
    return {"min": _whole(low), "max": _whole(high)}


def _country_json(code: str) -> dict:
    return {"iso_code": COUNTRIES[code].alpha3, "name": COUNTRIES[code].name, "regions": None}


def build_products() -> list[dict[str, Any]]:
    products: list[dict[str, Any]] = []
    for index, (country, names) in enumerate(sorted(OPERATOR_NAMES.items())):
        currency = COUNTRIES[country].currency
        base = FX_BASE[currency]
        wholesale = (base * (1 + WHOLESALE_DISCOUNT)).quantize(Decimal("0.0001"))
        retail = (base * (1 - RETAIL_MARKUP)).quantize(Decimal("0.0001"))
        rates = {"base": float(base), "wholesale": float(wholesale), "retail": float(retail)}
        for position, (network, name) in enumerate(names.items()):
            operator_id = 1000 + index * 10 + position
            operator = {"id": operator_id, "name": name, "country": _country_json(country), "regions": None}
            common = {"tags": [], "operator": operator, "regions": None, "validity": None,
                      "required_debit_party_identifier_fields": [],
                      "required_credit_party_identifier_fields": [["mobile_number"]],
                      "required_sender_fields": [], "required_beneficiary_fields": [],
                      "required_statement_identifier_fields": [], "required_additional_identifier_fields": [],
                      "availability_zones": ["INTERNATIONAL"], "rates": rates, "promotions": None,
                      "_country": country, "_network": network}
            low, high = (Decimal(x) for x in RANGES[currency])
            products.append({
                "id": operator_id * 100 + 1, "name": f"{name} Airtime", "description": f"{name} mobile top-up",
                "type": p.RANGED_VALUE_RECHARGE, "service": {"id": 1, "name": "Mobile",
                                                            "subservice": {"id": 11, "name": "Airtime"}},
                "accepted_calculation_modes": ["SOURCE_AMOUNT", "DESTINATION_AMOUNT"],
                "source": {"unit_type": "CURRENCY", "unit": ACCOUNT_CURRENCY,
                           "amount": {"min": _num(low / wholesale), "max": _num(high / wholesale)}},
                "destination": {"unit_type": "CURRENCY", "unit": currency,
                                "amount": {"min": _whole(low), "max": _whole(high), "increment": 1}},
                # A ranged product's prices and benefits are ranges (the reference's RangedValueRecharge).
                "prices": {"wholesale": {"unit_type": "CURRENCY", "unit": ACCOUNT_CURRENCY, "fee": 0,
                                         "amount": {"min": _num(low / wholesale), "max": _num(high / wholesale)}},
                           "retail": {"unit_type": "CURRENCY", "unit": ACCOUNT_CURRENCY, "fee": 0,
                                      "amount": {"min": _num(low / retail), "max": _num(high / retail)}}},
                "benefits": [{"type": "CREDITS", "unit_type": "CURRENCY", "unit": currency,
                              "amount": {"base": _span(low, high), "promotion_bonus": {"min": 0, "max": 0},
                                         "total_excluding_tax": _span(low, high),
                                         "total_including_tax": _span(low, high)},
                              "additional_information": None}],
                **{**common, "tags": ["AIRTIME"]}})
            if position:
                continue
            for number, (price, size, days) in enumerate(BUNDLES[currency], start=1):
                face = Decimal(price)
                products.append({
                    "id": operator_id * 100 + 10 + number, "name": f"{name} {size}GB {days} days",
                    "description": f"{size}GB data, valid {days} days", "type": p.FIXED_VALUE_RECHARGE,
                    "service": {"id": 1, "name": "Mobile", "subservice": {"id": 12, "name": "Data"}},
                    "source": {"unit_type": "CURRENCY", "unit": ACCOUNT_CURRENCY, "amount": _num(face / wholesale)},
                    "destination": {"unit_type": "CURRENCY", "unit": currency, "amount": _whole(face)},
                    "prices": {"wholesale": {"unit_type": "CURRENCY", "unit": ACCOUNT_CURRENCY,
                                             "amount": _num(face / wholesale), "fee": 0},
                               "retail": {"unit_type": "CURRENCY", "unit": ACCOUNT_CURRENCY,
                                          "amount": _num(face / retail), "fee": 0}},
                    "benefits": [{"type": "DATA", "unit_type": "QUANTITY", "unit": "GB",
                                  "amount": {"base": float(size), "promotion_bonus": 0,
                                             "total_excluding_tax": float(size), "total_including_tax": float(size)},
                                  "additional_information": None}],
                    **{**common, "tags": ["DATA"], "validity": {"unit": "DAY", "quantity": days}}})
    return products


@dataclass
class Txn:
    id: int
    external_id: str
    product: dict
    mobile_number: str
    destination: Decimal  # local amount
    wholesale: Decimal  # USD charged
    status: str
    created: datetime
    callback_url: str = ""
    polls_left: int = 0
    fault: FaultMode = FaultMode.NONE
    planned: str = p.COMPLETED
    confirmed: datetime | None = None
    history: list[str] = field(default_factory=list)


class DTOneSimulator(SimulatorServer):
    name = "dtone"

    def __init__(self, *, credentials: dict[str, str] | None = None, balance: float = 1_000_000.0,
                 completion_delay_seconds: float | None = 0.05, preprod: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.credentials = dict(credentials or DEFAULT_CREDENTIALS)
        self.balance = Decimal(str(balance))
        self.holding = Decimal(0)
        self.completion_delay_seconds = completion_delay_seconds
        self.preprod = preprod
        self.products = build_products()
        self.transactions: dict[int, Txn] = {}
        self.by_external_id: dict[str, Txn] = {}
        self.callbacks_sent: list[tuple[str, str]] = []  # (external_id, status)
        self._ids = itertools.count(8_100_000_001)
        self._state_lock = threading.RLock()
        self._timers: list[threading.Timer] = []

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        super().stop()

    # --- controls ---------------------------------------------------------------------------
    def complete(self, external_id: str, status: str | None = None) -> None:
        """Let the operator answer now (SUBMITTED -> COMPLETED, or ``status``), then call back."""
        with self._state_lock:
            txn = self.by_external_id[external_id]
            self._advance(txn, status or txn.planned)
        self._callback(txn)

    def reverse(self, external_id: str) -> None:
        """DT One's manual reversal of a completed transaction (the value came back): REVERSED + callback."""
        with self._state_lock:
            txn = self.by_external_id[external_id]
            if txn.status == p.COMPLETED:
                self._set(txn, p.REVERSED)
                self.balance += txn.wholesale
        self._callback(txn)

    def build_callback(self, external_id: str) -> tuple[bytes, dict[str, str]]:
        with self._state_lock:
            body = json.dumps(self._txn_json(self.by_external_id[external_id])).encode()
        return body, {"Content-Type": "application/json"}

    def send_callback(self, url: str, external_id: str) -> requests.Response:
        body, headers = self.build_callback(external_id)
        return requests.post(url, data=body, headers=headers, timeout=5)

    # --- state ------------------------------------------------------------------------------
    def _set(self, txn: Txn, status: str) -> None:
        txn.status = status
        txn.history.append(status)

    def _klass(self, status: str) -> str:
        return status.split("-")[0]

    def _advance(self, txn: Txn, final: str) -> None:
        if self._klass(txn.status) in p.FINAL_CLASSES:
            return
        if txn.status != p.SUBMITTED:
            self._set(txn, p.SUBMITTED)
        self._set(txn, final)
        self.holding -= txn.wholesale
        if self._klass(final) == p.COMPLETED:
            exponent = currency_exponent(txn.product["destination"]["unit"])
            self.record_delivery(request_id=txn.external_id, recipient=txn.mobile_number,
                                 amount_minor=int(txn.destination.scaleb(exponent)), product=str(txn.product["id"]))
        else:
            self.balance += txn.wholesale

    def _callback(self, txn: Txn) -> None:
        with self._state_lock:
            self.callbacks_sent.append((txn.external_id, txn.status))
            url = txn.callback_url
        if url:
            body, headers = self.build_callback(txn.external_id)
            try:
                requests.post(url, data=body, headers=headers, timeout=5)
            except requests.RequestException:
                pass  # DT One retries; the partner can always query the status

    def _schedule(self, txn: Txn) -> None:
        if self.completion_delay_seconds is None or txn.fault == FaultMode.PENDING_THEN_SUCCESS:
            return

        def finish() -> None:
            with self._state_lock:
                if self._klass(txn.status) in p.FINAL_CLASSES:
                    return
                self._advance(txn, txn.planned)
            self._callback(txn)

        timer = threading.Timer(self.completion_delay_seconds, finish)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    def _poll(self, txn: Txn) -> None:
        if txn.fault == FaultMode.PENDING_THEN_SUCCESS and txn.status in (p.CONFIRMED, p.SUBMITTED):
            if txn.status == p.CONFIRMED:
                self._set(txn, p.SUBMITTED)
            txn.polls_left -= 1
            if txn.polls_left < 0:
                self._advance(txn, txn.planned)

    # --- JSON ---------------------------------------------------------------------------------
    @staticmethod
    def _public_product(product: dict) -> dict:
        return {k: v for k, v in product.items() if not k.startswith("_")}

    def _txn_json(self, txn: Txn, *, read: bool = False) -> dict:
        """The transaction object; ``read`` (the GET answers) adds the ``callback_url`` it was created with."""
        product = txn.product
        currency = product["destination"]["unit"]
        klass = self._klass(txn.status)
        local = float(txn.destination) if txn.destination != txn.destination.to_integral_value() \
            else int(txn.destination)
        values = {"source": {"unit_type": "CURRENCY", "unit": ACCOUNT_CURRENCY, "amount": _num(txn.wholesale)},
                  "destination": {"unit_type": "CURRENCY", "unit": currency, "amount": local}}
        benefits = product["benefits"]
        if product["type"] == p.RANGED_VALUE_RECHARGE:  # what this transaction delivers, not the product's range
            amount = {"base": local, "promotion_bonus": 0, "total_excluding_tax": local, "total_including_tax": local}
            benefits = [{**benefit, "amount": amount} for benefit in benefits]
        body = {
            "id": txn.id, "external_id": txn.external_id, "creation_date": _iso(txn.created),
            "confirmation_expiration_date": _iso(txn.created + timedelta(hours=1)),
            "confirmation_date": _iso(txn.confirmed) if txn.confirmed else None,
            "status": {"id": p.STATUS_IDS.get(txn.status, 0), "message": txn.status,
                       "class": {"id": p.CLASS_IDS[klass], "message": klass}},
            "operator_reference": f"OPR{txn.id}" if klass == p.COMPLETED else None,
            "pin": None,
            "product": {k: product[k] for k in ("id", "name", "description", "type", "service", "operator",
                                                "regions", "tags")},
            "prices": {"wholesale": {"unit_type": "CURRENCY", "unit": ACCOUNT_CURRENCY,
                                     "amount": _num(txn.wholesale), "fee": 0},
                       "retail": {"unit_type": "CURRENCY", "unit": ACCOUNT_CURRENCY,
                                  "amount": _num(txn.destination / Decimal(str(product["rates"]["retail"]))),
                                  "fee": 0}},
            "rates": product["rates"], "benefits": benefits, "promotions": None,
            "requested_values": values, "adjusted_values": values,
            "sender": None, "beneficiary": None, "debit_party_identifier": None,
            "credit_party_identifier": {"mobile_number": txn.mobile_number},
            "statement_identifier": None, "additional_identifier": None,
        }
        if read and txn.callback_url:
            body["callback_url"] = txn.callback_url
        return body

    # --- HTTP -----------------------------------------------------------------------------------
    @staticmethod
    def _error(status: int, code: int, message: str) -> Response:
        return Response(status, {"errors": [{"code": code, "message": message}]})

    def _authorised(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.credentials["api_key"] and password == self.credentials["api_secret"]

    @staticmethod
    def _page(items: list, request: Request) -> Response:
        try:
            page = max(int(request.query.get("page", "1")), 1)
            per_page = min(max(int(request.query.get("per_page", "50")), 1), 100)
        except ValueError:
            return DTOneSimulator._error(400, p.BAD_REQUEST, "Bad Request")
        pages = max(math.ceil(len(items) / per_page), 1)
        chunk = items[(page - 1) * per_page: page * per_page]
        headers = {"X-Total": str(len(items)), "X-Total-Pages": str(pages), "X-Per-Page": str(per_page),
                   "X-Page": str(page)}
        if page < pages:
            headers["X-Next-Page"] = str(page + 1)
        if 1 < page <= pages + 1:
            headers["X-Prev-Page"] = str(page - 1)
        return Response(200, chunk, headers)

    def route(self, request: Request) -> Response:
        if not request.path.startswith("/v1/"):
            return self._error(404, p.NOT_FOUND, "Resource not found")
        if not self._authorised(request):
            return self._error(401, p.UNAUTHORIZED, "Unauthorized")
        parts = request.path.strip("/").split("/")[1:]
        query = request.query
        if request.method == "GET" and parts == ["products"]:
            country = ALPHA3_TO_ALPHA2.get(query.get("country_iso_code", "").upper(), "")
            found = [self._public_product(x) for x in self.products
                     if (not query.get("country_iso_code") or x["_country"] == country)
                     and (not query.get("operator_id") or str(x["operator"]["id"]) == query["operator_id"])
                     and (not query.get("type") or x["type"] == query["type"])]
            return self._page(found, request)
        if request.method == "GET" and len(parts) == 2 and parts[0] == "products":
            product = next((x for x in self.products if str(x["id"]) == parts[1]), None)
            if product is None:
                return self._error(404, p.PRODUCT_NOT_AVAILABLE, "Product is not available in your account")
            return Response(200, self._public_product(product))
        if request.method == "GET" and parts == ["operators"]:
            seen: dict[int, dict] = {}
            for x in self.products:
                if not query.get("country_iso_code") or x["_country"] == ALPHA3_TO_ALPHA2.get(
                        query["country_iso_code"].upper()):
                    seen.setdefault(x["operator"]["id"], x["operator"])
            return self._page(list(seen.values()), request)
        if request.method == "GET" and parts == ["countries"]:
            return self._page([_country_json(c) for c in sorted(COUNTRIES)], request)
        if request.method == "GET" and parts == ["services"]:
            return self._page([{"id": 1, "name": "Mobile"}], request)
        if request.method == "GET" and parts == ["balances"]:
            return self._page([{"id": 1, "unit_type": "CURRENCY", "unit": ACCOUNT_CURRENCY,
                                "available": _num(self.balance), "holding": _num(self.holding),
                                "credit_limit": 0}], request)
        if request.method == "GET" and len(parts) == 3 and parts[:2] == ["lookup", "mobile-number"]:
            return self._page(self._lookup(parts[2]), request)
        if request.method == "POST" and parts == ["lookup", "mobile-number"]:
            body = request.json()
            if not isinstance(body, dict) or not isinstance(body.get("mobile_number"), str):
                return self._error(400, p.BAD_REQUEST, "mobile_number is required")
            paging = {k: str(body[k]) for k in ("page", "per_page") if k in body}
            return self._page(self._lookup(body["mobile_number"]), Request(
                request.method, request.path, paging, request.headers, b""))
        # Synchronous mode (deprecated by DT One, still answered): the final status, or SUBMITTED, in the answer.
        if request.method == "POST" and len(parts) == 2 and parts[1] == "transactions" \
                and parts[0] in ("async", "sync"):
            return self._create(request, sync=parts[0] == "sync")
        if request.method == "POST" and len(parts) == 4 and parts[1] == "transactions" \
                and parts[0] in ("async", "sync") and parts[3] == "confirm":
            return self._confirm(parts[2], sync=parts[0] == "sync")
        if request.method == "POST" and len(parts) == 3 and parts[0] == "transactions" and parts[2] == "cancel":
            return self._cancel(parts[1])
        if request.method == "GET" and parts == ["transactions"]:
            with self._state_lock:
                matching = [t for t in self.transactions.values()
                            if not query.get("external_id") or t.external_id == query["external_id"]]
                for each in matching:
                    self._poll(each)
                return self._page([self._txn_json(t, read=True) for t in matching], request)
        if request.method == "GET" and len(parts) == 2 and parts[0] == "transactions":
            with self._state_lock:
                one = self.transactions.get(int(parts[1])) if parts[1].isdigit() else None
                if one is None:
                    return self._error(404, p.TRANSACTION_NOT_FOUND, "Transaction not found")
                self._poll(one)
                return Response(200, self._txn_json(one, read=True))
        if request.method == "GET":
            return self._discovery(parts, request)
        return self._error(404, p.NOT_FOUND, "Resource not found")

    def _discovery(self, parts: list[str], request: Request) -> Response:
        """The one-item discovery reads, benefit types, and promotions and campaigns (none running here)."""
        missing = self._error(404, p.NOT_FOUND, "Resource not found")
        if parts == ["benefit-types"]:
            return self._page([{"name": name} for name in ("TALKTIME", "DATA", "SMS", "PAYMENT", "CREDITS")], request)
        if parts in (["promotions"], ["campaigns"]):
            return self._page([], request)
        if len(parts) != 2:
            return missing
        kind, key = parts
        if kind == "services":
            return Response(200, {"id": 1, "name": "Mobile"}) if key == "1" else missing
        if kind == "countries":
            code = ALPHA3_TO_ALPHA2.get(key.upper(), "")
            return Response(200, _country_json(code)) if code in COUNTRIES else missing
        if kind == "operators":
            operator = next((x["operator"] for x in self.products if str(x["operator"]["id"]) == key), None)
            return Response(200, operator) if operator else self._error(
                404, p.OPERATOR_NOT_FOUND, "Operator not found")
        return missing

    def _lookup(self, mobile_number: str) -> list[dict]:
        found = []
        for code in COUNTRIES:
            digits = "".join(ch for ch in mobile_number if ch.isdigit())
            if not digits.startswith(COUNTRIES[code].calling_code):
                continue
            network = detect_network(digits, code)
            for product in self.products:
                if product["_country"] == code and product["_network"] == network \
                        and product["type"] == p.RANGED_VALUE_RECHARGE:
                    found.append({**product["operator"], "identified": True})
        return found

    def _create(self, request: Request, *, sync: bool = False) -> Response:
        payload = request.json()
        if not isinstance(payload, dict):
            return self._error(400, p.BAD_REQUEST, "Bad Request")
        external_id = str(payload.get("external_id") or "")
        if not 1 <= len(external_id) <= 40 or any(ch.isspace() for ch in external_id):
            return self._error(400, p.BAD_REQUEST, "external_id: length between 1 and 40, no spaces")
        product = next((x for x in self.products if x["id"] == payload.get("product_id")), None)
        if product is None:
            return self._error(404, p.PRODUCT_NOT_AVAILABLE, "Product is not available in your account")
        party = payload.get("credit_party_identifier") or {}
        mobile = str(party.get("mobile_number") or "") if isinstance(party, dict) else ""
        if not mobile.startswith("+") or detect_network(mobile, product["_country"]) != product["_network"]:
            return self._error(400, p.INVALID_CREDIT_PARTY_MOBILE, "Credit party mobile number is invalid")
        fault = self.take_fault(request, mobile)
        if fault == FaultMode.SERVER_ERROR:
            return self._error(503, p.SERVICE_UNAVAILABLE, "Service unavailable, please retry later")
        wholesale_rate = Decimal(str(product["rates"]["wholesale"]))
        if product["type"] == p.RANGED_VALUE_RECHARGE:
            destination = payload.get("destination") or {}
            source = payload.get("source") or {}
            try:
                if payload.get("calculation_mode") == "SOURCE_AMOUNT":
                    if source.get("unit") != ACCOUNT_CURRENCY:
                        return self._error(400, p.UNIT_INVALID, "Requested product unit is invalid")
                    local = (Decimal(str(source["amount"])) * wholesale_rate).quantize(Decimal(1))
                else:
                    if destination.get("unit") != product["destination"]["unit"]:
                        return self._error(400, p.UNIT_INVALID, "Requested product unit is invalid")
                    local = Decimal(str(destination["amount"]))
            except (KeyError, TypeError, ArithmeticError):
                return self._error(400, p.BAD_REQUEST, "Bad Request")
            bounds = product["destination"]["amount"]
            if not local.is_finite() or not Decimal(str(bounds["min"])) <= local <= Decimal(str(bounds["max"])):
                return self._error(400, p.AMOUNT_OUT_OF_RANGE, "Requested product amount is out of range")
            cost = (local / wholesale_rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        else:
            local = Decimal(str(product["destination"]["amount"]))
            cost = Decimal(str(product["prices"]["wholesale"]["amount"]))
        planned = p.COMPLETED
        if fault == FaultMode.FAILURE:
            planned = "DECLINED-OPERATOR-CURRENTLY-UNAVAILABLE"
        elif self.preprod:
            planned = p.sandbox_outcome(mobile) or p.COMPLETED
        with self._state_lock:
            if external_id in self.by_external_id:
                return self._error(400, p.EXTERNAL_ID_USED, "Transaction external ID has already been used")
            if self.balance < cost:
                return self._error(400, p.INSUFFICIENT_BALANCE, "Insufficient balance")
            self.balance -= cost
            self.holding += cost
            txn = Txn(next(self._ids), external_id, product, mobile, local, cost, p.CREATED, _now(),
                      callback_url=str(payload.get("callback_url") or ""), polls_left=self.pending_requeries,
                      fault=fault, planned=planned, history=[p.CREATED])
            self.transactions[txn.id] = txn
            self.by_external_id[external_id] = txn
            if payload.get("auto_confirm"):
                txn.confirmed = _now()
                self._set(txn, p.CONFIRMED)
                settled = self._start(txn, sync=sync)
            else:
                settled = False
            body = self._txn_json(txn)
        if settled:
            self._callback(txn)
        if fault == FaultMode.DUPLICATE_REPLY:
            return self._error(400, p.EXTERNAL_ID_USED, "Transaction external ID has already been used")
        return self.apply_transport_fault(fault, Response(201, body))

    def _confirm(self, transaction_id: str, *, sync: bool = False) -> Response:
        with self._state_lock:
            txn = self.transactions.get(int(transaction_id)) if transaction_id.isdigit() else None
            if txn is None:
                return self._error(404, p.TRANSACTION_NOT_FOUND, "Transaction not found")
            if txn.status != p.CREATED:
                return self._error(400, p.ALREADY_CONFIRMED if txn.confirmed else p.CANNOT_CONFIRM,
                                   "Transaction has already been confirmed" if txn.confirmed
                                   else "Transaction can no longer be confirmed")
            txn.confirmed = _now()
            self._set(txn, p.CONFIRMED)
            settled = self._start(txn, sync=sync)
            body = self._txn_json(txn)
        if settled:
            self._callback(txn)
        return Response(202, body)

    def _start(self, txn: Txn, *, sync: bool) -> bool:
        """A confirmed transaction goes to the operator: in synchronous mode the answer waits for its final
        status (True: settled now, call back), unless the operator is slow (pending faults, or completion left to
        ``complete``): then the answer says SUBMITTED. Asynchronous: it settles later."""
        if not sync:
            self._schedule(txn)
            return False
        if self.completion_delay_seconds is None or txn.fault == FaultMode.PENDING_THEN_SUCCESS:
            self._set(txn, p.SUBMITTED)
            return False
        self._advance(txn, txn.planned)
        return True

    def _cancel(self, transaction_id: str) -> Response:
        with self._state_lock:
            txn = self.transactions.get(int(transaction_id)) if transaction_id.isdigit() else None
            if txn is None:
                return self._error(404, p.TRANSACTION_NOT_FOUND, "Transaction not found")
            if txn.status != p.CREATED:
                return self._error(400, 1007007, "Transaction can no longer be cancelled")
            self._set(txn, p.CANCELLED)
            self.holding -= txn.wholesale
            self.balance += txn.wholesale
            return Response(202, self._txn_json(txn))
