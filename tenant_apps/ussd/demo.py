"""`make run`: USSD switched on in every demo country operation, and how to dial it on the gateway simulator.

The callback token is made afresh on every run (only its hash is stored); the printed command registers the
tenant's channel with the simulator once it runs (http://127.0.0.1:8030 unless PROVIDER_SIMULATOR_PORTS moves it,
phone page at /), with callbacks at the web port of ``make run`` (``settings.DEMO_WEB_PORT``).
"""

from __future__ import annotations

import json
import shlex

from django.conf import settings
from django_tenants.utils import schema_context

from tenants.models import Tenant, TenantKind


def seed_demo_ussd() -> list[str]:
    from provider_plugins.simulate import demo_ports

    from .services import callback_urls, channel_rotate_token, channel_update

    ports = demo_ports(getattr(settings, "PROVIDER_SIMULATOR_PORTS", None))
    simulator = f"http://127.0.0.1:{ports['africastalking_ussd']}"
    web_port = getattr(settings, "DEMO_WEB_PORT", 8000)
    lines = []
    tenants = Tenant.objects.filter(kind=TenantKind.COUNTRY_OPERATION).order_by("schema_name")
    for number, tenant in enumerate(tenants, start=1):
        domain = tenant.domains.filter(is_primary=True).values_list("domain", flat=True).first()
        if not domain:
            continue
        code = f"*384*{100 + number}#"
        with schema_context(tenant.schema_name):
            token = channel_rotate_token(actor=None)
            channel_update(actor=None, enabled=True, service_code=code)
        urls = callback_urls(base_url=f"http://{domain}:{web_port}", token=token)
        body = json.dumps({"serviceCode": code, "callbackUrl": urls["callback_url"], "eventsUrl": urls["events_url"]})
        lines.append(f"USSD {tenant.schema_name}: dial {code} at {simulator}/ after "
                     f"curl -X POST {simulator}/_sim/channels -d {shlex.quote(body)}")
    return lines
