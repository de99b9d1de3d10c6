"""Agents and resellers: the agent link, API keys (secrets never exported), invitations and applications."""

from tenant_apps.privacy.registry import BLANK, EMAIL, PSEUDONYM, no_personal_data, register

from .models import (
    Agent,
    AgentSale,
    ApiKey,
    CommissionPosting,
    DeliveryAttempt,
    Invitation,
    ResellerApplication,
    ResellerDocument,
    ResellerFloat,
    WebhookDelivery,
    WebhookSubscription,
)

register(Agent, owners=("user",))
register(AgentSale, owners=("agent__user",))
register(CommissionPosting, owners=("agent__user",))
register(ApiKey, owners=("user",), exclude=("secret_encrypted", "secret_sha256"))
register(Invitation, owners=("accepted_user",), erase={"email": EMAIL, "phone": BLANK}, exclude=("token_hash",))
register(ResellerFloat, owners=("holder",))
register(WebhookSubscription, owners=("created_by",), exclude=("secret_encrypted",))


def _applications(user):
    """Applications whose contact is this person (made before the account existed, matched by e-mail/phone)."""
    from django.db.models import Q

    condition = Q(contact_email__iexact=user.email)
    if user.phone:
        condition |= Q(contact_phone=user.phone)
    return ResellerApplication.objects.filter(condition)


register(ResellerApplication, rows=_applications,
         erase={"contact_name": PSEUDONYM, "contact_email": EMAIL, "contact_phone": BLANK})
no_personal_data(ResellerDocument, "company registration documents of an application")
no_personal_data(WebhookDelivery, "event payloads sent to the reseller's own endpoint (references, statuses)")
no_personal_data(DeliveryAttempt, "HTTP status and error of a webhook delivery")
