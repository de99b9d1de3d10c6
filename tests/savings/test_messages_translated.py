"""What a French or Portuguese saver reads when a circle or goal refuses: the API's message in their language,
the stable ``code`` unchanged."""

from __future__ import annotations

import uuid

import pytest
from django.utils import translation

from tenant_apps.savings import common, services
from tests.wallet.helpers import client_for, new_customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "message"), [
    ("fr", "Objectif introuvable."), ("pt", "Objetivo não encontrado."), ("en", "No such goal.")])
def test_an_unknown_goal_is_refused_in_the_savers_language(language, message):
    answer = client_for(new_customer()).get(f"/api/savings/goals/{uuid.uuid4()}", HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "unknown_goal"
    assert answer.json()["error"]["message"] == message


@pytest.mark.parametrize(("error", "french", "portuguese"), [
    (common.GoalLocked, "Cet objectif est bloqué jusqu'à sa date ; le retrait anticipé n'est pas autorisé.",
     "Este objetivo está bloqueado até à sua data; o levantamento antecipado não é permitido."),
    (common.PenaltyApplies, "Un retrait avant la date de blocage coûte une pénalité ; confirmez pour continuer.",
     "Levantar antes da data de bloqueio tem uma penalização; confirme para continuar."),
])
def test_goal_refusals_read_in_french_and_portuguese(error, french, portuguese):
    with translation.override("fr"):
        assert str(error().message) == french
    with translation.override("pt"):
        assert str(error().message) == portuguese


@pytest.mark.parametrize(("language", "text"), [
    ("fr", "Au plus 12 membres."), ("pt", "No máximo 12 membros."), ("en", "At most 12 members.")])
def test_the_member_limit_counts_in_the_organisers_language(settings, language, text):
    settings.SAVINGS_CIRCLE_MAX_MEMBERS = 12
    with translation.override(language):
        assert services._at_most_members() == text
