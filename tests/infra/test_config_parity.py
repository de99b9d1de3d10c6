"""Configuration parity: the code, .env.example and Terraform name the same variables.

A deploy once injected FIELD_ENCRYPTION_KEY, AWS_STORAGE_BUCKET_NAME and
WEBHOOK_SIGNING_SECRETS, which nothing read, while production silently used its
development fallbacks (a key derived from SECRET_KEY, a loopback SMS simulator).
These tests fail on any difference, in either direction, and prove production
refuses those fallbacks.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys

import pytest

from tests.infra import config
from tests.infra.terraform import MODULES, all_blocks, one, parse
from tests.support.processes import ROOT
from tests.support.production import production_env, production_values


def test_every_environment_read_uses_a_literal_name():
    dynamic = [f"{read.path}:{read.line}" for read in config.env_reads() if read.name is None]
    assert dynamic == [], f"environment read with a computed name (parity cannot check it): {dynamic}"


def test_the_code_reads_exactly_what_env_example_documents():
    read = {item.name for item in config.env_reads() if item.name is not None}  # computed names: the test above
    listed = set(config.documented())
    assert read - listed == set(), f"read by the code but missing from .env.example: {sorted(read - listed)}"
    assert listed - read == set(), f"in .env.example but read by no production code: {sorted(listed - read)}"
    for item in config.documented().values():
        assert len(item.comment) >= 10, f".env.example: {item.name} has no comment"


def test_terraform_injects_only_variables_the_code_reads():
    read = {item.name for item in config.env_reads()}
    unread = sorted(set(config.injected()) - read)
    assert unread == [], f"Terraform injects variables the application never reads: {unread}"
    documented = config.documented()
    dev_only = sorted(name for name in config.injected() if documented[name].dev)
    assert dev_only == [], f"Terraform injects development-only variables: {dev_only}"


def test_terraform_injects_every_variable_production_requires_and_secrets_only_as_secrets():
    injected = config.injected()
    documented = config.documented()
    required = {name for name, item in documented.items() if item.required}
    missing = sorted(required - set(injected))
    assert missing == [], f"production requires these but Terraform does not inject them: {missing}"
    for name, item in injected.items():
        if documented[name].secret:
            assert item.secret, f"{name} is a secret: inject it from Secrets Manager, not as a plain value"
        else:
            assert not item.secret, f"{name} is injected as a secret but .env.example does not mark it [secret]"
    # Every required variable reaches every long-running process and the migrate task.
    for name in required:
        assert set(injected[name].processes) == {"web", "worker", "dispatcher", "beat", "migrate"}, name
    # The task definitions really use these lists, and every secret they name exists.
    container = one("aws_ecs_task_definition", "process").body["container_definitions"]
    assert "local.common_environment" in container and "local.common_secrets" in container
    platform_secrets = parse(MODULES / "secrets" / "main.tf")["locals"][0]["platform_secrets"]
    for name, source in config.injected_secret_sources().items():
        key = re.search(r'platform_secret_arns\["([a-z0-9-]+)"\]', source)
        if key:
            assert key.group(1) in platform_secrets, f"{name}: no secret {key.group(1)!r} in modules/secrets"
            assert name in platform_secrets[key.group(1)], f"secret {key.group(1)} does not say it holds {name}"


def test_production_requires_exactly_the_variables_marked_required():
    documented = {name for name, item in config.documented().items() if item.required}
    # child_env supplies DATABASE_URL and REDIS_URL (this test database and Redis).
    supplied = (set(production_values()) | {"DATABASE_URL", "REDIS_URL"}) - {"DJANGO_SETTINGS_MODULE",
                                                                           "CORS_ALLOWED_ORIGINS"}
    assert supplied == documented, "tests/support/production.py and .env.example disagree on [required]"


# --- production refuses development stand-ins --------------------------------------------------

REFUSAL_PROBE = r"""
import importlib, json, os, sys
from django.core.exceptions import ImproperlyConfigured

cases = json.loads(sys.stdin.read())
base = dict(os.environ)
results = {}
for label, change in cases.items():
    os.environ.clear()
    os.environ.update(base)
    for name, value in change.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    for module in [m for m in sys.modules if m.startswith("nexustop.settings")]:
        del sys.modules[module]
    try:
        importlib.import_module("nexustop.settings.prod")
    except ImproperlyConfigured as error:
        results[label] = str(error)
    else:
        results[label] = ""
print(json.dumps(results))
"""


def refusals(cases: dict[str, dict[str, str | None]], values: dict[str, str]) -> dict[str, str]:
    result = subprocess.run([sys.executable, "-c", REFUSAL_PROBE], input=json.dumps(cases), cwd=ROOT,
                            env=production_env(**values), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_production_refuses_missing_loopback_simulator_and_derived_configuration():
    from nexustop.settings.production_guard import derived_fernet_keys, derived_jwt_key

    values = production_values()
    secret = values["DJANGO_SECRET_KEY"]
    derived = derived_fernet_keys(secret)
    required = [name for name, item in config.documented().items() if item.required]
    cases: dict[str, dict[str, str | None]] = {"complete": {}}
    cases.update({f"missing {name}": {name: None} for name in required})
    cases.update({
        "loopback SMS gateway": {"SMS_GATEWAY_URL": "http://127.0.0.1:8025"},
        "https loopback SMS gateway": {"SMS_GATEWAY_URL": "https://localhost:8025"},
        "simulator KYC verifier": {"KYC_VERIFIER_URL": "https://kyc-simulator.internal.example/v1"},
        "private KYC verifier": {"KYC_VERIFIER_URL": "https://10.0.3.4/v1"},
        "sim- SMS key": {"SMS_GATEWAY_API_KEY": "sim-sms-key"},
        "sim- KYC key": {"KYC_VERIFIER_API_KEY": "sim-kyc-key"},
        **{f"derived {name}": {name: key} for name, key in derived.items()},
        "derived JWT key": {"JWT_SIGNING_KEY": derived_jwt_key(secret)},
        "JWT key is the secret key": {"JWT_SIGNING_KEY": secret},
        "one key for two purposes": {"RESELLER_SECRET_KEYS": values["KYC_ENCRYPTION_KEYS"]},
        "not a Fernet key": {"PROVIDER_CREDENTIALS_KEYS": "not-a-fernet-key"},
        "derived from a fallback secret": {"DJANGO_SECRET_KEY_FALLBACKS": "x" * 60,
                                           "KYC_ENCRYPTION_KEYS": derived_fernet_keys("x" * 60)[
                                               "KYC_ENCRYPTION_KEYS"]},
        "verifier disabled needs no verifier": {"KYC_VERIFIER_ENABLED": "0", "KYC_VERIFIER_URL": None,
                                                "KYC_VERIFIER_API_KEY": None, "KYC_VERIFIER_PARTNER_ID": None},
    })
    results = refusals(cases, values)
    assert results.pop("complete") == ""
    assert results.pop("verifier disabled needs no verifier") == ""
    for label, message in results.items():
        assert message, f"production started with {label}"
        if label.startswith("missing "):
            assert label.removeprefix("missing ") in message, (label, message)
    assert "simulator key" in results["sim- SMS key"]
    assert "derived from SECRET_KEY" in results["derived KYC_ENCRYPTION_KEYS"]
    assert "loopback" in results["loopback SMS gateway"] or "https" in results["loopback SMS gateway"]
    # The refusal names the problem, never a secret value.
    for message in results.values():
        assert secret not in message and values["KYC_ENCRYPTION_KEYS"] not in message


def test_the_guard_knows_every_key_the_application_derives_from_secret_key(settings):
    """production_guard recomputes the development derivations: they must be the application's own."""
    import base64

    from nexustop.settings.production_guard import derived_fernet_keys
    from shared_apps.providers import crypto as provider_crypto
    from tenant_apps.agents import crypto as reseller_crypto
    from tenant_apps.kyc import crypto as kyc_crypto

    settings.SECRET_KEY = "s" * 64
    settings.KYC_ENCRYPTION_KEYS = []
    settings.PROVIDER_CREDENTIALS_KEYS = []
    settings.RESELLER_SECRET_KEYS = []
    expected = derived_fernet_keys(settings.SECRET_KEY)

    def key_of(multi) -> str:
        return base64.urlsafe_b64encode(multi._fernets[0]._signing_key + multi._fernets[0]._encryption_key).decode()

    assert key_of(kyc_crypto._current()) == expected["KYC_ENCRYPTION_KEYS"]
    assert key_of(provider_crypto._fernet()) == expected["PROVIDER_CREDENTIALS_KEYS"]
    assert key_of(reseller_crypto._current()) == expected["RESELLER_SECRET_KEYS"]


# --- IAM resource prefixes against the storage key layout ---------------------------------------

def _arn_patterns(resources: list[str], bucket_ref: str) -> list[str]:
    """``${var.kyc_bucket_arn}/tenants/*`` -> ``tenants/*`` (the object-key part of each ARN)."""
    return [resource.split(bucket_ref + "/", 1)[1] for resource in resources if resource.startswith(bucket_ref + "/")]


@pytest.mark.django_db
def test_iam_allows_exactly_the_prefix_the_application_writes(tenant_ng):
    from types import SimpleNamespace

    from django_tenants.utils import tenant_context

    from tenant_apps.agents.models import reseller_document_key
    from tenant_apps.kyc.storage import kyc_document_key

    with tenant_context(tenant_ng):
        keys = [kyc_document_key(SimpleNamespace(submission=SimpleNamespace(user=SimpleNamespace(public_id="u1"))),
                                 "passport.PNG"),
                reseller_document_key(SimpleNamespace(application=SimpleNamespace(public_id="a1")), "cac.pdf")]
    assert keys[0].startswith("tenants/ng/kyc/u1/") and keys[1].startswith("tenants/ng/resellers/a1/")

    task = one("aws_iam_policy_document", "task", kind="data").body
    statements = {s["sid"]: s for s in all_blocks(task, "statement")}
    objects = _arn_patterns(statements["KycDocumentsTenantPrefixOnly"]["resources"], "${var.kyc_bucket_arn}")
    listing = first_condition_values(statements["KycList"])
    bucket_policy = one("aws_iam_policy_document", "kyc", kind="data").body
    allowed_by_bucket = _arn_patterns(
        {s["sid"]: s for s in all_blocks(bucket_policy, "statement")}["DenyKeysOutsideTenantPrefix"]["not_resources"],
        "${aws_s3_bucket.kyc.arn}")
    for key in keys:
        assert any(fnmatch.fnmatchcase(key, pattern) for pattern in objects), (key, objects)
        assert any(fnmatch.fnmatchcase(key, pattern) for pattern in listing), (key, listing)
        assert any(fnmatch.fnmatchcase(key, pattern) for pattern in allowed_by_bucket), (key, allowed_by_bucket)
    # And nothing outside a tenant's prefix: the schema is the second path segment.
    assert all(pattern.startswith("tenants/") for pattern in objects + listing + allowed_by_bucket)


def first_condition_values(statement: dict) -> list[str]:
    condition = statement["condition"]
    condition = condition[0] if isinstance(condition, list) else condition
    assert condition["variable"] == "s3:prefix"
    return condition["values"]


def test_the_migrate_task_registers_the_head_office_domain():
    assert "ensure_public_tenant" in config.migrate_command()
    assert "NEXUSTOP_PUBLIC_DOMAIN" in config.injected()
