"""Response bodies (OpenAPI) of the savings views: what ``views.circle_json``/``goal_json`` and the other
dict-building views return, field for field (amounts: decimal strings in the circle's or goal's currency)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# A list whose items may be null: drf-spectacular drops ``allow_null`` on a ListField's child serializer.
CONTRIBUTION_CELLS_SCHEMA = {"type": "array", "items": {
    "type": "object", "nullable": True, "required": ["id", "cycle", "status", "attempts", "flagged_at", "owed_to"],
    "properties": {
        "id": {"type": "string", "format": "uuid"}, "cycle": {"type": "integer"}, "status": {"type": "string"},
        "attempts": {"type": "integer"}, "flagged_at": {"type": "string", "format": "date-time", "nullable": True},
        "owed_to": {"type": "string", "nullable": True,
                    "description": "the phone of the member this arrear is owed to"}}}}


@extend_schema_field(CONTRIBUTION_CELLS_SCHEMA)
class SavingsContributionCellsField(serializers.ListField):
    """One contribution per cycle, null while that cycle is not opened."""


class SavingsCircleMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    phone = serializers.CharField()
    position = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    you = serializers.BooleanField()
    owes = serializers.CharField()
    pot = serializers.CharField(allow_null=True)
    pot_status = serializers.CharField(allow_null=True, help_text="held: over the wallet's maximum balance")
    contributions = SavingsContributionCellsField(help_text="One per cycle; null: that cycle is not opened yet.")


class SavingsCircleSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    status = serializers.CharField()
    frequency = serializers.CharField()
    contribution = serializers.CharField()
    currency = serializers.CharField()
    cycle = serializers.IntegerField()
    cycles = serializers.IntegerField()
    next_collection_at = serializers.DateTimeField(allow_null=True)
    held = serializers.CharField()
    organiser = serializers.BooleanField()
    members = SavingsCircleMemberSerializer(many=True, required=False,
                                            help_text="The board: on a single circle's answers only.")


class SavingsCircleListSerializer(serializers.Serializer):
    results = SavingsCircleSerializer(many=True)


class SavingsInvitationSerializer(serializers.Serializer):
    circle = SavingsCircleSerializer()
    position = serializers.IntegerField(allow_null=True)
    invited_at = serializers.DateTimeField()


class SavingsInvitationListSerializer(serializers.Serializer):
    results = SavingsInvitationSerializer(many=True)


class SavingsArrearPaidSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()


class SavingsAutosaveSerializer(serializers.Serializer):
    amount = serializers.CharField(allow_null=True)
    frequency = serializers.CharField(allow_blank=True)
    next_at = serializers.DateTimeField(allow_null=True)
    paused_reason = serializers.CharField(allow_blank=True)


class SavingsGoalSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    status = serializers.CharField()
    currency = serializers.CharField()
    target = serializers.CharField()
    saved = serializers.CharField()
    progress_percent = serializers.IntegerField()
    lock_until = serializers.DateField(allow_null=True)
    early_withdrawal = serializers.CharField()
    penalty_bps = serializers.IntegerField()
    autosave = SavingsAutosaveSerializer(allow_null=True, help_text="null: no automatic saving")


class SavingsRulesSerializer(serializers.Serializer):
    early_withdrawal = serializers.CharField(help_text="refused or penalty")
    penalty_bps = serializers.IntegerField()


class SavingsGoalListSerializer(serializers.Serializer):
    results = SavingsGoalSerializer(many=True)
    rules = SavingsRulesSerializer()


class SavingsWithdrawalSerializer(serializers.Serializer):
    received = serializers.CharField()
    goal = SavingsGoalSerializer()


class SavingsMissedContributionSerializer(serializers.Serializer):
    circle = serializers.UUIDField()
    member = serializers.CharField()
    cycle = serializers.IntegerField()
    status = serializers.CharField()
    amount = serializers.CharField()


class SavingsStaffCircleListSerializer(serializers.Serializer):
    results = SavingsCircleSerializer(many=True)
    missed = SavingsMissedContributionSerializer(many=True)
