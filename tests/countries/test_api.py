from typing import Any

import pytest

pytestmark = pytest.mark.django_db

ALL = {"BJ", "BF", "CV", "CI", "GM", "GH", "GN", "GW", "LR", "ML", "MR", "NE", "NG", "SN", "SL", "TG"}


@pytest.mark.parametrize("host", ["localhost", "ng.localhost", "sn.localhost", "quickvend.localhost"])
def test_list_on_public_and_tenant_domains(host_client, host):
    response = host_client(host).get("/api/countries")
    assert response.status_code == 200
    results = response.json()["results"]
    codes = {item["code"] for item in results}
    assert codes == {"NG", "GH", "SN"} | (ALL & codes)
    ng = next(item for item in results if item["code"] == "NG")
    assert ng["currency"] == "NGN" and ng["minor_unit"] == 2
    assert [s["code"] for s in ng["kyc_schemes"]] == ["bvn", "nin"]
    assert ng["gateways"] == ["paystack", "flutterwave", "airtel_money", "mtn_momo", "onepipe"]
    assert ng["kyc_tiers"][1]["single_limit"] == "50000.00"


def test_detail(host_client):
    response = host_client("gh.localhost").get("/api/countries/gh")
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == "GH" and body["currency"] == "GHS" and "mtn_momo" in body["gateways"]


def test_unknown_code_is_a_404_in_the_error_shape(host_client):
    response = host_client("ng.localhost").get("/api/countries/XX")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_country"
    assert "XX" in response.json()["error"]["message"]


def test_endpoints_are_in_the_openapi_schema(host_client):
    response = host_client("ng.localhost").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/countries/{code}" in text and "kyc_tiers" in text


def test_payload_has_no_floats(host_client):
    import json

    def walk(value):
        if isinstance(value, float):
            raise AssertionError(f"float in payload: {value}")
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        if isinstance(value, list):
            for item in value:
                walk(item)

    walk(json.loads(host_client("localhost").get("/api/countries").content))


def test_detail_lists_only_providers_and_gateways_that_exist_there(host_client):
    from shared_apps.providers.models import ProviderStatus
    from shared_apps.providers.services import provider_register

    common: dict[str, Any] = {"base_url": "http://127.0.0.1:9", "credentials": {"api_key": "k", "api_secret": "s"}}
    provider_register(name="DT One BJ test", country="BJ", plugin_key="dtone", capabilities=["airtime"],
                      routing_priority=5, **common)
    gone = provider_register(name="DT One BJ retired", country="BJ", plugin_key="dtone", capabilities=["airtime"],
                             **common)
    gone.status = ProviderStatus.DISABLED
    gone.save()
    body = host_client("ng.localhost").get("/api/countries/bj").json()
    names = [p["name"] for p in body["providers"]]
    assert "DT One BJ test" in names and "DT One BJ retired" not in names
    assert all(set(p) == {"name", "plugin", "capabilities", "status"} for p in body["providers"])  # no secrets
    # Benin's rails: MTN MoMo and CinetPay have a plugin for Benin (and cash at an agent needs none).
    assert body["gateways"] == ["mtn_momo", "cinetpay"]
    assert [rail["key"] for rail in body["rails"]] == ["mtn_momo", "cinetpay", "agent"]
    # A deployment override naming a rail no plugin serves there (Moov Money) lists only what exists.
    from countries.services import country_override_set

    country_override_set(country="BJ", gateways=["moov_money", "mtn_momo"])
    body = host_client("ng.localhost").get("/api/countries/bj").json()
    assert body["gateways"] == ["mtn_momo"]
    assert [rail["key"] for rail in body["rails"]] == ["mtn_momo", "agent"]
    with pytest.raises(Exception) as refused:  # VTPass sells in Nigeria only: it cannot be registered for Benin
        provider_register(name="VTPass BJ", country="BJ", plugin_key="vtpass", capabilities=["airtime"], **common)
    assert "does not serve" in str(refused.value)
