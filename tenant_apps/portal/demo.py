"""`make run`: where the web pages are (the demo logins are the ones tenants/demo.py prints)."""

from __future__ import annotations


def portal_demo_lines() -> list[str]:
    return [
        "http://localhost:8000/console/  head-office console (head-office login above)",
        "http://ng.localhost:8000/  customer portal: sign up with phone OTP (codes at http://127.0.0.1:8025/outbox)",
        "http://ng.localhost:8000/back-office/  operator back office (tenant admin login above)",
    ]
