"""KYC submissions (identity number, encrypted), their documents (S3) and spend against tier limits."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .storage import kyc_document_key, kyc_document_storage


class KycStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class VerificationStatus(models.TextChoices):
    NOT_CHECKED = "not_checked", _("Not checked automatically")
    MATCH = "match", _("Verifier: number found")
    NO_MATCH = "no_match", _("Verifier: number not found / no match")
    PENDING = "pending", _("Verifier: unclear, to check again")


class KycSubmission(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kyc_submissions")
    scheme = models.CharField(max_length=32)
    # The number itself only ever exists encrypted; responses use number_masked.
    number_encrypted = models.TextField()
    number_masked = models.CharField(max_length=40)
    number_fingerprint = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16, choices=KycStatus.choices, default=KycStatus.PENDING)
    verification_status = models.CharField(max_length=16, choices=VerificationStatus.choices,
                                           default=VerificationStatus.NOT_CHECKED)
    verification_reference = models.CharField(max_length=64, blank=True)
    verification_code = models.CharField(max_length=16, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="kyc_reviews")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            # One live (pending or approved) submission per user and scheme.
            models.UniqueConstraint(fields=["user", "scheme"], condition=~models.Q(status="rejected"),
                                    name="kyc_one_live_submission_per_scheme"),
        ]

    def __str__(self) -> str:
        return f"{self.scheme} {self.number_masked} ({self.status})"


class DocumentKind(models.TextChoices):
    ID_DOCUMENT = "id_document", _("Identity document")
    SELFIE = "selfie", _("Selfie")
    PROOF_OF_ADDRESS = "proof_of_address", _("Proof of address")


# What an approved document satisfies in a country's tier requirements.
DOCUMENT_REQUIREMENTS: dict[str, str] = {DocumentKind.SELFIE: "selfie", DocumentKind.PROOF_OF_ADDRESS: "address"}


class KycDocument(models.Model):
    submission = models.ForeignKey(KycSubmission, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=24, choices=DocumentKind.choices)
    file = models.FileField(upload_to=kyc_document_key, storage=kyc_document_storage, max_length=255)
    content_type = models.CharField(max_length=64)
    size_bytes = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} of submission {self.submission_id}"


class KycSpend(models.Model):
    """Money a user moved, counted against their tier's daily limit (reversals are negative rows)."""

    # No index of its own: both indexes below lead with user_id.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="kyc_spends",
                             db_index=False)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=100)
    occurred_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # Today's spend is summed from this index alone (``amount_minor`` included: an index-only scan, no heap
        # page per row a user spent today; kyc/0004).
        indexes = [models.Index(fields=["user", "currency", "occurred_at"], include=["amount_minor"],
                                name="kyc_spend_day")]
        constraints = [models.UniqueConstraint(fields=["user", "reference"], name="kyc_spend_reference_once")]

    def __str__(self) -> str:
        return f"{self.amount_minor} {self.currency} ({self.reference})"
