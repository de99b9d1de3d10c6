"""A connector's user-facing text in the request's language.

Connectors cannot import Django: they mark what a user may read with the interfaces' ``gettext_noop`` and pass
the values in ``params`` (``InvalidAmount(gettext_noop("Airtel %(country)s collects %(currency)s"), params=...)``).
The core translates it here, where the error becomes an API answer; ``str(error)`` stays English for the logs.
A text a connector did not mark is not in the catalogues and reads as it was written.
"""

from __future__ import annotations

from django.utils.translation import gettext

from provider_plugins.interfaces.common import ProviderError


def user_message(error: ProviderError) -> str:
    template = getattr(error, "template", "")
    if not template:
        return str(error)
    params = getattr(error, "params", None) or {}
    return gettext(template) % params if params else gettext(template)
