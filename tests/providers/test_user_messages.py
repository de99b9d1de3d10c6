"""A connector's refusal a user reads is translated by the core (connectors cannot import Django): marked with
the interfaces' ``gettext_noop``, its values in ``params``; ``str(error)`` stays English for the logs."""

from __future__ import annotations

import pytest
from django.utils import translation

from provider_plugins.cinetpay.connector import CinetPayConnector
from provider_plugins.interfaces import InvalidAmount, ProviderConfig, gettext_noop
from provider_plugins.interfaces.payments import CheckoutRequest
from shared_apps.providers.messages import user_message


@pytest.mark.parametrize(("language", "text"), [
    ("fr", "CinetPay n'accepte que des montants multiples de 5"),
    ("pt", "A CinetPay só aceita valores múltiplos de 5"),
    ("en", "CinetPay takes amounts in multiples of 5"),
])
def test_a_connectors_refusal_reads_in_the_users_language(language, text):
    request = CheckoutRequest(amount_minor=1_002, currency="XOF", reference="r-1", callback_url="https://x.test/")
    with pytest.raises(InvalidAmount) as refused:
        CinetPayConnector().initialize_checkout(request, config=ProviderConfig(base_url="https://cinetpay.test"))
    assert str(refused.value) == "CinetPay takes amounts in multiples of 5"
    with translation.override(language):
        assert user_message(refused.value) == text


def test_placeholders_are_placed_after_translation_and_unmarked_texts_pass_through():
    error = InvalidAmount(gettext_noop("Airtel %(country)s collects %(currency)s"),
                          params={"country": "NE", "currency": "XOF"})
    assert str(error) == "Airtel NE collects XOF"
    with translation.override("fr"):
        assert user_message(error) == "Airtel NE encaisse en XOF"
        assert user_message(InvalidAmount("Some provider's own words")) == "Some provider's own words"
    with translation.override("pt"):
        assert user_message(error) == "A Airtel NE cobra em XOF"
