"""`make run`: where the web pages are (the demo logins are the ones tenants/demo.py prints)."""

from __future__ import annotations

from django.conf import settings


def portal_demo_lines() -> list[str]:
    port = getattr(settings, "DEMO_WEB_PORT", 8000)  # make run's web port (PORT)
    outbox = f"{settings.SMS_GATEWAY['BASE_URL'].rstrip('/')}/outbox"
    return [
        f"http://localhost:{port}/console/  head-office console (head-office login above)",
        f"http://ng.localhost:{port}/  customer portal: sign up with phone OTP (codes at {outbox})",
        f"http://ng.localhost:{port}/back-office/  operator back office (tenant admin login above)",
    ]
