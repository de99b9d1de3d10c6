"""Risk: decisions about the person (hashed recipient/device, IP), step-up challenges and devices."""

from tenant_apps.privacy.registry import BLANK, NULL, PSEUDONYM, no_personal_data, register

from .models import DeviceSession, RiskDecision, RiskRule, StepUpChallenge, UserDevice

register(RiskDecision, owners=("user",), erase={"recipient_hash": BLANK, "recipient_label": PSEUDONYM,
                                                "device_hash": BLANK, "ip": NULL})
register(StepUpChallenge, owners=("user",), delete=True, exclude=("fingerprint",))
register(DeviceSession, owners=("device__user",), delete=True, exclude=("key",))  # before its device
register(UserDevice, owners=("user",), delete=True, exclude=("device_hash",))
no_personal_data(RiskRule, "an operator's rule (who edited it is staff, not a data subject request)")
