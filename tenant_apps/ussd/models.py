"""The tenant's USSD channel: its service code and how the gateway proves it is the gateway.

One row per tenant schema. The gateway (Africa's Talking) signs nothing, so its callback URL carries a
secret token (``/ussd/africastalking/<token>``): only a SHA-256 of it is stored, the URL is shown once
when the token is made (back office or API); optionally the gateway's addresses are also checked
(``USSD['ALLOWED_IPS']``).
"""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

service_code_format = RegexValidator(r"^\*[0-9]{1,6}(\*[0-9]{1,6}){0,4}#$",
                                     _("Use a USSD code such as *384*123#."))


class UssdChannel(models.Model):
    singleton = models.BooleanField(default=True, unique=True, editable=False)
    enabled = models.BooleanField(default=False)
    service_code = models.CharField(max_length=40, blank=True, validators=[service_code_format])
    gateway = models.CharField(max_length=40, default="africastalking_ussd")
    token_hash = models.CharField(max_length=64, blank=True)
    token_hint = models.CharField(max_length=8, blank=True)  # the last characters, to recognise the URL
    token_created_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("USSD channel")
        constraints = [models.CheckConstraint(name="ussd_channel_singleton", condition=models.Q(singleton=True))]

    def __str__(self) -> str:
        return f"USSD {self.service_code or '(no code)'} {'on' if self.enabled else 'off'}"
