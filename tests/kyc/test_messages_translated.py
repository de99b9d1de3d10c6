"""A customer over their verification level's limit reads why in their language (the ``code`` stays English)."""

from __future__ import annotations

import pytest
from django.utils import translation

from tenant_apps.kyc.services import KycLimitExceeded


@pytest.mark.parametrize(("language", "message"), [
    ("fr", "Ce montant dépasse la limite de votre niveau de vérification."),
    ("pt", "Este valor ultrapassa o limite do seu nível de verificação."),
    ("en", "This amount is above the limit of your verification level."),
])
def test_the_tier_limit_refusal_reads_in_the_customers_language(language, message):
    with translation.override(language):
        refused = KycLimitExceeded()
        assert str(refused.message) == message
    assert refused.code == "kyc_limit_exceeded"
