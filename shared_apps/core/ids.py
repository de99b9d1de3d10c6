"""Public ids from outside (a URL segment, a query parameter, a token's claim): a UUID or nothing."""

from __future__ import annotations

import uuid
from typing import Any


def as_uuid(value: Any) -> uuid.UUID | None:
    """``value`` as a UUID, or None when it is not one (so a lookup by it finds nothing instead of failing)."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
