"""Amounts in limit refusals read as the site shows money in the request's language (``2 000,00 UM`` in French,
never ``2000.00 MRU``); an agent's cash-in refusal says the limit is the customer's."""

from __future__ import annotations

import pytest
from django.utils import translation

from countries.registry import display_minor, get_adapter
from shared_apps.core.db_refusals import Refusal
from tenant_apps.kyc.services import kyc_refusal

pytestmark = pytest.mark.django_db  # get_adapter reads the country's overrides


@pytest.mark.parametrize("language", ["fr", "pt", "en"])
def test_single_and_daily_limit_amounts_are_formatted_for_the_language(language):
    adapter = get_adapter("MR")
    tier = next(tier for tier in adapter.kyc_tiers if tier.single_limit_minor >= 100_000)
    with translation.override(language):
        single = kyc_refusal(Refusal("kyc_limit_exceeded", {"level": tier.level, "limit": "single"}), adapter)
        daily = kyc_refusal(Refusal("kyc_limit_exceeded", {"level": tier.level, "limit": "daily", "left": 150_000}),
                            adapter)
        shown_single = display_minor(tier.single_limit_minor, adapter.currency)
        shown_left = display_minor(150_000, adapter.currency)
    raw = adapter.from_minor(tier.single_limit_minor)
    for refused, shown in ((single, shown_single), (daily, shown_left)):
        texts = [str(refused.message), *refused.fields["amount"]]
        assert all(shown in text for text in texts), texts
        assert not any(raw in text or "1500.00" in text or "MRU" in text for text in texts), texts
    if language == "fr":  # "2 000,00 UM": grouped, decimal comma
        assert "," in shown_single and "." not in shown_single


@pytest.mark.parametrize(("language", "words"), [
    ("en", "the customer"), ("fr", "du client"), ("pt", "do cliente")])
def test_an_agent_reads_that_the_limit_is_the_customers(language, words):
    adapter = get_adapter("GN")
    tier = adapter.kyc_tiers[0]
    with translation.override(language):
        for detail in ({"level": tier.level, "limit": "single"}, {"level": tier.level, "limit": "daily", "left": 0},
                       {"limit": "none"}):
            agent = str(kyc_refusal(Refusal("kyc_limit_exceeded", detail), adapter, for_customer=True).message)
            customer = str(kyc_refusal(Refusal("kyc_limit_exceeded", detail), adapter).message)
            assert agent != customer
            assert "vous pouvez" not in agent and "you can" not in agent and "your " not in agent.lower()
            if detail["limit"] != "none":
                assert words in agent.lower().replace("’", "'")
