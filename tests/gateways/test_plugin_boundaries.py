"""Gateway plugins import only the plugin interfaces and their own package (no Django, no core); their simulator
(``simulator.py``, or every module of a ``simulator/`` package) also the simulators' kit
(``provider_plugins.simkit``)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from provider_plugins.interfaces.kyc import KycVerifierConnector
from provider_plugins.interfaces.payments import MobileMoneyCollection, PaymentGateway
from provider_plugins.interfaces.payouts import PayoutGateway, WalletPayout

ROOT = Path(__file__).resolve().parents[2] / "provider_plugins"
PACKAGES = ["paystack", "flutterwave", "mtn_momo", "orange_money", "wave", "cinetpay", "airtel_money", "onepipe"]
STDLIB_AND_ALLOWED = {"__future__", "base64", "collections", "dataclasses", "datetime", "decimal", "enum", "hashlib",
                      "hmac", "html", "http", "itertools", "json", "re", "secrets", "threading", "time", "typing",
                      "urllib", "uuid", "requests", "string", "argparse", "binascii", "cryptography"}


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_stay_inside_the_plugin_boundary(package):
    paths = sorted((ROOT / package).rglob("*.py"))
    assert paths
    for path in paths:
        simulator_code = path.relative_to(ROOT / package).parts[0] in ("simulator.py", "simulator")
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.level:  # relative: own package
                    continue
                module = node.module or ""
            elif isinstance(node, ast.Import):
                module = node.names[0].name
            else:
                continue
            top = module.split(".")[0]
            allowed = (top in STDLIB_AND_ALLOWED or module.startswith("provider_plugins.interfaces")
                       or module.startswith(f"provider_plugins.{package}")
                       or (simulator_code and module.startswith("provider_plugins.simkit")))
            assert allowed, f"{path.relative_to(ROOT)} imports {module}"


@pytest.mark.parametrize("package", PACKAGES)
def test_descriptor_connectors_satisfy_their_protocols(package):
    plugin = importlib.import_module(f"provider_plugins.{package}").PLUGIN
    assert plugin.key == package and plugin.credential_fields
    protocols: dict[str, list[type]] = {"payouts": [PayoutGateway, WalletPayout], "kyc": [KycVerifierConnector]}
    for capability, connector_class in plugin.connectors.items():
        connector = connector_class()
        expected: list[type] = protocols.get(capability, [PaymentGateway, MobileMoneyCollection])
        assert any(isinstance(connector, protocol) for protocol in expected), (package, capability)
    assert callable(plugin.load_simulator().start)
