"""Redis cache; every key is prefixed with the current tenant's schema.

The backend is Django's Redis cache reusing its client object and reading a request's hot keys in one MGET
(``shared_apps.core.redis_cache``).
"""

from __future__ import annotations

from ..env import env_str

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

CACHES = {
    "default": {
        "BACKEND": "shared_apps.core.redis_cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "nt"),
        # django-tenants: "<schema>:<prefix>:<version>:<key>" so tenants never collide.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}
