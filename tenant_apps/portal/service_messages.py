"""English messages of the services the pages call, marked so the catalogues translate them.

Services raise ``ApiError`` with English text (the API's contract); pages pass
it through ``gettext`` (``forms.apply_api_error``), which finds these msgids.
"""

from django.utils.translation import gettext_noop

SERVICE_MESSAGES = (
    gettext_noop("Some fields are invalid."),
    gettext_noop("Enter a valid email address."),
    gettext_noop("Enter a valid phone number."),
    gettext_noop("An account with this email already exists."),
    gettext_noop("An account with this phone number already exists."),
    gettext_noop("An account with this email or phone already exists."),
    gettext_noop("Enter the 6-digit code we sent."),
    gettext_noop("This code has expired. Request a new one."),
    gettext_noop("Too many wrong codes. Request a new one."),
    gettext_noop("The code is not valid."),
    gettext_noop("Email or password is incorrect."),
    gettext_noop("Too many failed attempts. Try again later."),
    gettext_noop("You already have a submission for this scheme."),
    gettext_noop("This number is already used by another account."),
    gettext_noop("Upload a JPEG, PNG or PDF file."),
    gettext_noop("You cannot review your own KYC submission."),
    gettext_noop("This submission has already been decided."),
    gettext_noop("This email or phone already has an account."),
)
