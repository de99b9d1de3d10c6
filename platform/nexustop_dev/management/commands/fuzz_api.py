"""``manage.py fuzz_api --max-examples N``: the CI fuzz run (tests/fuzz/), longer, against any tenant domain.

Everything runs inside one database transaction that is rolled back at the end, with the SMS gateway
and the KYC verifier on their simulators and S3 mocked (moto): the fuzzer leaves nothing behind.
Needs the dev requirements (schemathesis, moto) and a provisioned tenant for ``--host``.
"""

from __future__ import annotations

import os
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test import override_settings

from tenants.connection import tenant_connection


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Fuzz a tenant domain's API from its OpenAPI schema (no 5xx, every error in the documented shape)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="ng.localhost", help="a tenant domain (default ng.localhost)")
        parser.add_argument("--max-examples", type=int, default=100, help="cases per operation and mode")
        parser.add_argument("--seed", type=int, default=None, help="fixed seed (default: random)")
        parser.add_argument("--modes", default="positive,negative")
        parser.add_argument("--operation", default="", help="only operations whose label contains this")

    def handle(self, *args, **opts):
        try:
            from moto import mock_aws

            from nexustop_dev.fuzz import run_fuzz
        except ImportError as exc:  # pragma: no cover - dev requirements missing
            raise CommandError(f"fuzz_api needs the dev requirements (requirements/dev.txt): {exc}") from exc
        from provider_plugins.kyc_verifier.simulator import KycVerifierSimulator
        from provider_plugins.sms_gateway.simulator import SmsGatewaySimulator
        from tenants.models import Domain

        host = opts["host"]
        domain = Domain.objects.filter(domain=host).select_related("tenant").first()
        if domain is None or domain.tenant.schema_name == "public":
            raise CommandError(f"{host} is not a tenant domain")
        schema = domain.tenant.schema_name
        for key, value in {"AWS_ACCESS_KEY_ID": "fuzz", "AWS_SECRET_ACCESS_KEY": "fuzz",
                           "AWS_DEFAULT_REGION": "eu-west-1"}.items():
            os.environ.setdefault(key, value)
        sms, kyc = SmsGatewaySimulator().start(), KycVerifierSimulator().start()
        try:
            # DEBUG off as in production: a DEBUG 404 is an HTML page, not the API error shape.
            with mock_aws(), override_settings(DEBUG=False, **_simulated(sms, kyc)):
                _create_bucket()
                report = self._run(run_fuzz, schema=schema, host=host, opts=opts)
        finally:
            sms.stop()
            kyc.stop()
            tenant_connection().set_schema_to_public()
        self.stdout.write(report.summary())
        if report.unsatisfiable:
            self.stdout.write(f"nothing to violate (positive only): {', '.join(report.unsatisfiable)}")
        if report.failures:
            raise CommandError(f"{len(report.distinct_failures())} distinct failure(s)")
        self.stdout.write(self.style.SUCCESS("no 5xx, every error in the documented shape"))

    def _run(self, run_fuzz, *, schema: str, host: str, opts: dict):
        from django.test import Client
        from django.utils import timezone
        from django_tenants.utils import schema_context

        from tenant_apps.accounts.models import User

        report = None
        try:
            with transaction.atomic():
                suffix = uuid.uuid4().hex[:8]
                password = f"Fuzz-{uuid.uuid4().hex}"
                with schema_context(schema):
                    User.objects.create_user(email=f"fuzz-customer-{suffix}@fuzz.invalid", password=password,
                                             role="customer", phone=None, phone_verified_at=timezone.now())
                    User.objects.create_user(email=f"fuzz-admin-{suffix}@fuzz.invalid", password=password,
                                             role="operator_admin", is_staff=True)
                client = Client(HTTP_HOST=host)
                identities = {"anonymous": ""}
                for name, email in (("customer", f"fuzz-customer-{suffix}@fuzz.invalid"),
                                    ("operator_admin", f"fuzz-admin-{suffix}@fuzz.invalid")):
                    answer = client.post("/api/auth/login", {"email": email, "password": password},
                                         content_type="application/json")
                    if answer.status_code != 200:
                        raise CommandError(f"could not log in the {name}: {answer.content[:200]!r}")
                    identities[name] = answer.json()["access"]
                tenant_connection().set_schema_to_public()
                report = run_fuzz(host=host, identities=identities, max_examples=opts["max_examples"],
                                  seed=opts["seed"], modes=tuple(opts["modes"].split(",")),
                                  operation_filter=(lambda label: opts["operation"] in label),
                                  progress=lambda line: self.stdout.write(line))
                raise _Rollback
        except _Rollback:
            pass
        return report


def _simulated(sms, kyc) -> dict:
    from django.conf import settings

    return {"SMS_GATEWAY": {**settings.SMS_GATEWAY, "BASE_URL": sms.url, "API_KEY": sms.api_key},
            "KYC_VERIFIER": {**settings.KYC_VERIFIER, "ENABLED": True, "BASE_URL": kyc.url,
                             "PARTNER_ID": kyc.partner_id, "API_KEY": kyc.api_key}}


def _create_bucket() -> None:
    import boto3
    from django.conf import settings

    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket=settings.KYC_DOCUMENTS_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
