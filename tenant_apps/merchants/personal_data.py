"""Merchants: a business run by the person (owner), the payments they made to merchants (payer)."""

from tenant_apps.privacy.registry import BLANK, MASK, PSEUDONYM, no_personal_data, register

from .models import (
    Merchant,
    MerchantCategory,
    MerchantPayment,
    MerchantRefund,
    MerchantSettlement,
    PaymentRequest,
)

register(Merchant, owners=("owner",), erase={"business_name": PSEUDONYM, "address": BLANK, "contact_phone": BLANK,
                                             "registration_number": BLANK, "settlement_account_number": MASK,
                                             "settlement_account_name": PSEUDONYM, "settlement_phone": MASK})
register(MerchantPayment, owners=("payer", "merchant__owner"), erase={"note": BLANK}, erase_owners=("payer",))
register(MerchantRefund, owners=("payment__payer", "payment__merchant__owner"))
register(MerchantSettlement, owners=("merchant__owner",))
register(PaymentRequest, owners=("merchant__owner",))
no_personal_data(MerchantCategory, "the tenant's business categories and fees")
