"""WSGI entry point (gunicorn ``nexustop.wsgi:application`` with ``platform/`` on the path)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexustop.settings.dev")
application = get_wsgi_application()
