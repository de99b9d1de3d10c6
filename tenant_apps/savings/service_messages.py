"""The services' English messages that pages show (marked for the catalogues; pages pass them to gettext)."""

from django.utils.translation import gettext_noop

SERVICE_MESSAGES = (
    gettext_noop("This goal is locked until its date; early withdrawal is not allowed."),
    gettext_noop("Withdrawing before the lock date costs a penalty; confirm to go ahead."),
    gettext_noop("Only the organiser can do this."),
    gettext_noop("The circle has started: its members, order and amount are fixed."),
    gettext_noop("Already invited."),
    gettext_noop("Every invited person must accept or decline first."),
    gettext_noop("A circle needs at least two members."),
    gettext_noop("This invitation was already answered."),
    gettext_noop("You are already a member."),
    gettext_noop("Nothing is owed for this contribution."),
    gettext_noop("Only the operator can dissolve a running circle."),
    gettext_noop("Only a running circle can be dissolved."),
    gettext_noop("There is nothing to withdraw."),
    gettext_noop("The goal does not hold that much."),
    gettext_noop("This goal is closed."),
    gettext_noop("Between 2 and 60 characters."),
    gettext_noop("Choose a date in the future."),
    gettext_noop("Choose daily, weekly or monthly."),
    gettext_noop("Only customers can save here."),
    gettext_noop("Must be positive."),
)
