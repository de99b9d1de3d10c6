"""Back-office and console analytics: product types read in words, chart tooltips put the language's colon."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from shared_apps.catalog.models import product_type_label
from shared_apps.core.charts import Bucket, bar_chart, rate_bars, stacked_series
from shared_apps.core.punctuation import labelled

from .test_ops_pages import _held_order, _phone, mtn_airtime, ng_staff  # noqa: F401 - fixtures


def _titles(svg: str) -> list[str]:
    return re.findall(r"<title>([^<]*)</title>", svg)


def test_chart_tooltips_put_a_no_break_space_before_the_colon_in_french():
    bucket = Bucket("Électricité", orders=3, delivered=9, refunded=1)
    with translation.override("fr"):
        assert labelled("Frais", "5") == "Frais\u00a0: 5"
        assert _titles(rate_bars([bucket], title="t")) == ["Électricité\u00a0: 90 %"]
        assert _titles(bar_chart([bucket], value="orders", title="t")) == ["Électricité\u00a0: 3"]
        stacked = stacked_series({"Crédit": [bucket]}, value="orders", title="t")
        assert _titles(stacked) == ["Crédit Électricité\u00a0: 3"]
    with translation.override("en"):
        assert _titles(rate_bars([bucket], title="t")) == ["Électricité: 90 %"]
        assert _titles(bar_chart([bucket], value="orders", title="t")) == ["Électricité: 3"]
    with translation.override("pt"):
        assert labelled("Taxa", "5") == "Taxa: 5"


def test_product_type_label_is_translated_and_an_unknown_code_stays():
    with translation.override("fr"):
        assert product_type_label("electricity") == "Électricité"
    assert product_type_label("something_new") == "something_new"


@pytest.mark.django_db
def test_dashboard_lists_product_types_in_words(ng_staff, mtn_airtime):  # noqa: F811 - fixtures
    from tenant_apps.portal.analytics import sales_report

    _held_order(mtn_airtime, _phone())
    html = ng_staff["operator_support"].get("/back-office/").content.decode()
    rows = re.findall(r'data-testid="type-row"><td>([^<]*)</td>', html)
    assert "Airtime" in rows and "airtime" not in rows
    assert "Airtime:" in html  # tooltips
    with schema_context("ng"), translation.override("fr"):
        report = sales_report(days=14)
    labels = {bucket.label for bucket in report.by_type} | set(report.by_type_daily)
    assert "airtime" not in labels and "Crédit" in labels


@pytest.mark.django_db
def test_wallet_totals_name_the_kinds_in_the_staff_language(host_client, tenants):
    """The operator's dashboard listed its wallet totals by code ("agent_wallet", "reseller_float",
    "user_wallet") on a French-speaking operation's page (seen on ci.localhost); each kind is now its name in the
    page's language."""
    from tenant_apps.ledger.services import fund_wallet, wallet_for
    from tests.accounts.helpers import make_user

    from .test_pages import page_login

    with schema_context("sn"):
        customer = make_user("sn", email="dash-wallet@sn.test")
        fund_wallet(wallet=wallet_for(user=customer), amount=1_000, reference="dash-wallet-test")
    make_user("sn", email="dash-admin@sn.test", role="operator_admin")
    client = host_client("sn.localhost")
    page_login(client, "dash-admin@sn.test")
    html = client.get("/back-office/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    kinds = re.findall(r'data-testid="wallet-kind">([^<]*)</td>', html)
    assert "Portefeuille utilisateur" in kinds, kinds
    assert not {"user_wallet", "agent_wallet", "reseller_float"} & set(kinds)
    assert "user_wallet" not in html
