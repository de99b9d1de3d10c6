"""`PROVIDER_SIMULATOR_PORTS=openexchangerates=28742,... make run`: the simulators listened on the moved ports but the
deployment's rate source and screener still called 8742/8743, so every quote was 503 ``rate_unavailable`` (or, beside
another `make run`, priced from that installation's simulator)."""

from __future__ import annotations

from tests.support.processes import probe_child

PROBE = r"""
import json, django
django.setup()
from django.conf import settings
print(json.dumps({"rates": settings.REMITTANCE_RATE_SOURCE["BASE_URL"],
                  "sanctions": settings.REMITTANCE_SANCTIONS["BASE_URL"]}))
"""


def settings_urls(tmp_path, **env: str) -> dict:
    return probe_child(PROBE, unset=("PROVIDER_SIMULATOR_PORTS", "REMITTANCE_RATE_SOURCE_URL",
                                     "REMITTANCE_SANCTIONS_URL", "SIMULATOR_PORT_OPENEXCHANGERATES",
                                     "SIMULATOR_PORT_OPENSANCTIONS"),
                       **{"DJANGO_SETTINGS_MODULE": "nexustop.settings.dev", "NEXUSTOP_SECRETS_DIR": str(tmp_path),
                          **env})


def test_the_rate_source_and_the_screener_follow_the_moved_simulator_ports(tmp_path):
    assert settings_urls(tmp_path) == {"rates": "http://127.0.0.1:8742", "sanctions": "http://127.0.0.1:8743"}
    moved = settings_urls(tmp_path, PROVIDER_SIMULATOR_PORTS="vtpass=28701,openexchangerates=28742,opensanctions=28743")
    assert moved == {"rates": "http://127.0.0.1:28742", "sanctions": "http://127.0.0.1:28743"}
    # A real service named by its own variable still wins.
    assert settings_urls(tmp_path, PROVIDER_SIMULATOR_PORTS="openexchangerates=28742",
                         REMITTANCE_RATE_SOURCE_URL="https://openexchangerates.org")["rates"] \
        == "https://openexchangerates.org"
