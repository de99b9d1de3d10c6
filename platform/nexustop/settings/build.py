"""Image build only (``collectstatic`` in the Dockerfile): production's static-file storage, no secrets.

``prod.py`` refuses to load without production's secrets and endpoints, which a
build never has and must never get. Static files need none of them.
"""

from .base import *  # noqa: F403
from .base import STORAGES

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
