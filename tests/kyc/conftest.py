"""KYC tests reuse the accounts fixtures (simulators, clean Redis) and add a moto S3."""

from __future__ import annotations

import boto3
import pytest

from tests.accounts.conftest import clean_rate_limits, kyc_simulator, providers_on_simulators, sms_simulator

__all__ = ["clean_rate_limits", "kyc_simulator", "providers_on_simulators", "s3", "sms_simulator"]


@pytest.fixture
def s3(monkeypatch, settings):
    """A moto S3 with the KYC bucket (the only mock in these tests: AWS)."""
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "eu-west-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket=settings.KYC_DOCUMENTS_BUCKET,
                             CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield client
