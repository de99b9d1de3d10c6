"""NexusTop composition root (lives in ``platform/``; imported as ``nexustop``)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
