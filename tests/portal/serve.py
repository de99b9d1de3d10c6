"""The pages for browser tests: Django's runserver on the test database, with moto's S3 in-process.

``python tests/portal/serve.py <port>`` (environment from ``tests.support.processes.child_env``).
AWS is the one thing mocked (moto, as in the KYC tests); SMS and KYC checks go
to the real simulators whose URLs are in the environment.
"""

from __future__ import annotations

import sys


def main(port: str) -> None:
    from moto import mock_aws

    with mock_aws():
        import boto3
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        boto3.client("s3", region_name="eu-west-1").create_bucket(
            Bucket=settings.KYC_DOCUMENTS_BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, skip_checks=True)


if __name__ == "__main__":
    main(sys.argv[1])
