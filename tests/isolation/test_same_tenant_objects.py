"""Every endpoint that names one of A's objects by id, called by ANOTHER customer and an agent of the SAME tenant.

The cross-tenant sweep (test_endpoint_attacks.py) proves that another tenant never reaches A's objects. Inside
one tenant the schema is shared, so only each view's ownership check stands between customers: a customer (and
an agent, and a reseller-style API key) of ng aiming at the ng victim's objects by path is refused (401/403/404),
sees none of them and changes nothing.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django_tenants.utils import schema_context

from nexustop_dev.fuzz import error_shape_problems
from tests.accounts.helpers import login, make_user
from tests.support.attack import (
    REFUSED,
    VICTIM_PATH_PARAMETERS,
    Attack,
    endpoints_from_schema,
    fingerprint_diff,
    schema_fingerprint,
    send,
    victim_body,
    victim_path,
)

pytestmark = pytest.mark.django_db


def test_another_customer_of_the_same_tenant_reaches_none_of_the_victims_objects(victim):
    make_user(victim.schema, email="neighbour@ng.example", phone="+2348031119991")
    make_user(victim.schema, email="neighbour-agent@ng.example", role="agent", phone="+2348031119992")
    with schema_context(victim.schema):
        from tenant_apps.accounts.models import User
        from tenant_apps.agents.models import Agent

        agent = Agent.objects.create(user=User.objects.get(email="neighbour-agent@ng.example"))
        Agent.objects.filter(pk=agent.pk).update(path=f"{agent.pk}/")
    client = Client(HTTP_HOST=victim.domain)
    attackers = [Attack("ng-customer", victim.domain, login(client, "neighbour@ng.example")["access"], own_domain=True),
                 Attack("ng-agent", victim.domain, login(client, "neighbour-agent@ng.example")["access"],
                        own_domain=True)]
    schema = Client(HTTP_HOST=victim.domain).get("/api/schema/?format=json").json()
    endpoints = [e for e in endpoints_from_schema(schema) if any(p in VICTIM_PATH_PARAMETERS for p in e.path_params)]
    assert len(endpoints) > 30
    problems: list[str] = []
    before = schema_fingerprint(victim.schema)
    for endpoint in endpoints:
        path = victim_path(endpoint, victim)
        body = victim_body(endpoint.body_schema, victim)
        for attack in attackers:
            response = send(client, attack, endpoint, path, body, idempotency_key="neighbour-key-1")
            status = response.status_code
            if status >= 400:
                problems += [f"{endpoint.label} [{attack.name}]: {p}" for p in error_shape_problems(response)]
            if status not in REFUSED:
                problems.append(f"{endpoint.label} [{attack.name}]: expected 401/403/404, got {status} "
                                f"{response.content[:200]!r}")
            leaked = victim.leaked_in(response.content.decode("utf-8", "replace"))
            if leaked and status in REFUSED:
                problems.append(f"{endpoint.label} [{attack.name}]: leaked {leaked}")
        after = schema_fingerprint(victim.schema)
        changed = fingerprint_diff(before, after)
        if changed:
            problems.append(f"{endpoint.label}: rows changed: {sorted(changed)}")
        before = after
    assert not problems, "\n".join(problems)
