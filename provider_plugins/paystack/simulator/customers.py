"""Paystack's customers: ``POST /customer``, ``GET|PUT /customer/:email_or_code``."""

from __future__ import annotations

from provider_plugins.simkit.gateway_sim import SimRequest, SimResponse

from .base import PaystackBase, fail, iso_now, ok


class CustomerEndpoints(PaystackBase):
    def create_customer(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        payload = request.json() or {}
        email = str(payload.get("email") or "")
        if "@" not in email:
            return fail(400, "Invalid Email Address Passed")
        with self.lock:
            customer = self._customer_for(email, first_name=payload.get("first_name"),
                                          last_name=payload.get("last_name"), phone=payload.get("phone"),
                                          metadata=payload.get("metadata"))
            data = {**customer, "updatedAt": iso_now()}
        return ok("Customer created", data)

    def fetch_customer(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        with self.lock:
            customer = self._find_customer(request.groups[0])
            if customer is None:
                return fail(404, "Customer not found")
            data = dict(customer)
            data["dedicated_accounts"] = [self._dva_public(dva) for dva in self.dedicated_accounts.values()
                                          if dva["customer_code"] == customer["customer_code"]]
            data["transactions"] = []
            data["subscriptions"] = []
            data["authorizations"] = []
        return ok("Customer retrieved", data)

    def update_customer(self, request: SimRequest) -> SimResponse:
        if not self._authorized(request):
            return fail(401, "Invalid key")
        payload = request.json() or {}
        with self.lock:
            customer = self._find_customer(request.groups[0])
            if customer is None:
                return fail(404, "Customer not found")
            for key in ("first_name", "last_name", "phone", "metadata"):
                if payload.get(key):
                    customer[key] = payload[key]
            customer["updatedAt"] = iso_now()
            data = dict(customer)
        return ok("Customer updated", data)
