"""KYC: submissions (the identity number encrypted, masked, fingerprinted) and their documents (S3)."""

from tenant_apps.privacy.registry import BLANK, FILE, PSEUDONYM, register

from .models import KycDocument, KycSpend, KycSubmission

register(KycSubmission, owners=("user",), erase={"number_encrypted": BLANK, "number_masked": PSEUDONYM,
                                                 "number_fingerprint": BLANK, "verification_reference": BLANK,
                                                 "review_note": BLANK},
         exclude=("number_encrypted", "number_fingerprint"))
register(KycDocument, owners=("submission__user",), erase={"file": FILE}, files=("file",))
register(KycSpend, owners=("user",))  # amounts and references only: exported, nothing to pseudonymise
