"""The append-only audit trail, one table per schema (tenant audit; public = platform audit).

Rows are never deleted and their facts never rewritten: a database trigger refuses DELETE and TRUNCATE,
and refuses UPDATE except for one explicit path. An erasure (tenant_apps.privacy) may pseudonymise the
personal columns (``actor_email``, ``ip_address``, ``user_agent``, ``details``) when its transaction has set
``nexustop.audit_pseudonymise = 'on'`` (``SET LOCAL``, see ``services.audit_pseudonymise``); every other
column (what happened, when, by whom as an id, to what) must stay exactly as it was.
"""

from __future__ import annotations

import pgtrigger
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    USER_REGISTERED = "user_registered", _("User registered")
    LOGIN_SUCCEEDED = "login_succeeded", _("Login succeeded")
    LOGIN_FAILED = "login_failed", _("Login failed")
    LOGIN_LOCKED_OUT = "login_locked_out", _("Login refused: locked out")
    LOGOUT = "logout", _("Logout")
    REFRESH_TOKEN_REUSED = "refresh_token_reused", _("Used refresh token presented again: session revoked")
    PASSWORD_CHANGED = "password_changed", _("Password changed: every session signed out")
    OTP_SENT = "otp_sent", _("OTP sent")
    OTP_VERIFIED = "otp_verified", _("OTP verified")
    OTP_FAILED = "otp_failed", _("OTP failed")
    PHONE_VERIFIED = "phone_verified", _("Phone verified")
    EMAIL_PROOF_SENT = "email_proof_sent", _("Email proof sent")
    EMAIL_VERIFIED = "email_verified", _("Email verified")
    ROLE_CHANGED = "role_changed", _("Role changed")
    KYC_SUBMITTED = "kyc_submitted", _("KYC submitted")
    KYC_CHECKED = "kyc_checked", _("KYC number checked by the verifier")
    KYC_APPROVED = "kyc_approved", _("KYC approved")
    KYC_REJECTED = "kyc_rejected", _("KYC rejected")
    CASH_IN = "cash_in", _("Agent cash-in")
    CASH_OUT = "cash_out", _("Agent cash-out")
    CASH_CANCELLED = "cash_cancelled", _("Cash-in or withdrawal code cancelled / expired")
    CASH_CONFIRMATION_FAILED = "cash_confirmation_failed", _("Wrong cash confirmation or withdrawal code")
    WITHDRAWAL_CODE_CREATED = "withdrawal_code_created", _("Withdrawal code created")
    WITHDRAWAL_CODE_RESENT = "withdrawal_code_resent", _("Withdrawal code texted again")
    PIN_SET = "pin_set", _("Transaction PIN set")
    PIN_CHANGED = "pin_changed", _("Transaction PIN changed")
    PIN_RESET = "pin_reset", _("Transaction PIN reset by SMS code")
    PIN_FAILED = "pin_failed", _("Wrong transaction PIN")
    PIN_LOCKED = "pin_locked", _("Transaction PIN locked")
    PIN_POLICY_CHANGED = "pin_policy_changed", _("Transaction PIN policy changed")
    USSD_CHANNEL_CHANGED = "ussd_channel_changed", _("USSD channel settings changed")
    # Merchants (tenant_apps.merchants)
    MERCHANT_REGISTERED = "merchant_registered", _("Business registered")
    MERCHANT_APPROVED = "merchant_approved", _("Business approved")
    MERCHANT_REJECTED = "merchant_rejected", _("Business rejected")
    MERCHANT_SUSPENDED = "merchant_suspended", _("Business suspended")
    MERCHANT_REACTIVATED = "merchant_reactivated", _("Business reactivated")
    MERCHANT_SETTLEMENT_CHANGED = "merchant_settlement_changed", _("Business settlement account changed")
    MERCHANT_FEES_CHANGED = "merchant_fees_changed", _("Merchant category fees changed")
    MERCHANT_REFUND = "merchant_refund", _("Merchant payment refunded")
    # Savings (tenant_apps.savings)
    SAVINGS_RULES_CHANGED = "savings_rules_changed", _("Savings rules changed")
    CIRCLE_DISSOLVED = "circle_dissolved", _("Savings circle dissolved")
    GOAL_WITHDRAWN = "goal_withdrawn", _("Savings goal withdrawal")
    # Data-subject rights (tenant_apps.privacy)
    DATA_EXPORT_REQUESTED = "data_export_requested", _("Personal data export requested")
    DATA_EXPORT_DOWNLOADED = "data_export_downloaded", _("Personal data export downloaded")
    DATA_ERASED = "data_erased", _("Personal data erased (pseudonymised)")
    DATA_ERASURE_REFUSED = "data_erasure_refused", _("Personal data erasure refused")
    DATA_RETENTION_PURGED = "data_retention_purged", _("Personal data purged after the retention period")
    # Agents (tenant_apps.agents) and funding reviews (tenant_apps.wallet.funding_reviews)
    AGENT_MOVED = "agent_moved", _("Agent moved to another parent")
    FUNDING_REVIEW_CREDIT = "funding_review.credit", _("Top-up in review credited to the wallet")
    FUNDING_REVIEW_REFUNDED = "funding_review.refunded", _("Top-up in review refunded at the gateway")


PERSONAL_COLUMNS = ("actor_email", "ip_address", "user_agent", "details")
_FACT_COLUMNS = ("id", "occurred_at", "action", "tenant", "actor_id", "actor_role", "subject_type", "subject_id",
                 "request_id")
APPEND_ONLY_FUNC = (
    "IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'the audit trail is append-only'; END IF; "
    "IF current_setting('nexustop.audit_pseudonymise', true) IS DISTINCT FROM 'on' THEN "
    "RAISE EXCEPTION 'the audit trail is append-only'; END IF; "
    "IF " + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _FACT_COLUMNS) + " THEN "
    "RAISE EXCEPTION 'the audit trail is append-only: only personal columns may be pseudonymised'; END IF; "
    "RETURN NEW;"
)


class AuditEvent(models.Model):
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices, db_index=True)
    tenant = models.CharField(max_length=63, help_text=_("Schema the event happened in."))
    # No foreign keys: the trail must outlive (and never block) changes to users.
    actor_id = models.UUIDField(null=True, blank=True, db_index=True)
    actor_email = models.CharField(max_length=254, blank=True)
    actor_role = models.CharField(max_length=24, blank=True)
    subject_type = models.CharField(max_length=32, blank=True)
    subject_id = models.CharField(max_length=64, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        triggers = [
            pgtrigger.Trigger(name="audit_append_only", operation=pgtrigger.Update | pgtrigger.Delete,
                              when=pgtrigger.Before, func=APPEND_ONLY_FUNC),
            pgtrigger.Trigger(name="audit_no_truncate", operation=pgtrigger.Truncate, level=pgtrigger.Statement,
                              when=pgtrigger.Before,
                              func="RAISE EXCEPTION 'the audit trail is append-only'; RETURN NULL;"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_email or '-'}"
