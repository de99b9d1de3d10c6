"""Local development and `make run`."""

from .base import *  # noqa: F403

DEBUG = True
