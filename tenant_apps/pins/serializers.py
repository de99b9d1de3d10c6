from __future__ import annotations

from rest_framework import serializers

from shared_apps.core.amounts import AmountField

PIN_HELP = "4 to 6 digits (not 0000, 1234, repeated or consecutive digits, or the end of your phone number)"


def pin_field(**kwargs) -> serializers.CharField:
    return serializers.CharField(max_length=12, trim_whitespace=False, help_text=PIN_HELP, **kwargs)


class PinStatusSerializer(serializers.Serializer):
    is_set = serializers.BooleanField()
    locked = serializers.BooleanField(help_text="true after too many wrong PINs: reset it with a code by SMS")
    attempts_left = serializers.IntegerField()
    set_at = serializers.DateTimeField(allow_null=True)
    min_length = serializers.IntegerField()
    max_length = serializers.IntegerField()


class PinSetSerializer(serializers.Serializer):
    pin = pin_field()


class PinChangeSerializer(serializers.Serializer):
    current_pin = serializers.CharField(max_length=12, trim_whitespace=False)
    new_pin = pin_field()


class PinResetSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12, required=False, allow_blank=True,
                                 help_text="the code sent by SMS; leave out to have one sent")
    new_pin = pin_field(required=False, allow_blank=True)


class PinPolicySerializer(serializers.Serializer):
    web_api_threshold = AmountField(allow_null=True, required=True,
                                    help_text="Web and API debits of a customer's or agent's own wallet from this "
                                              "amount up need the X-Transaction-PIN header (portal: the PIN box); "
                                              "null: never. USSD always asks the PIN.")
    currency = serializers.CharField(read_only=True)
