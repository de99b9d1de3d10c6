"""Authentication: JWT (simplejwt), dj-rest-auth, throttling, lockout, password rules."""

from __future__ import annotations
