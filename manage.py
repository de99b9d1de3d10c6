#!/usr/bin/env python
"""Django's command-line entry point for NexusTop.

The composition root lives in ``platform/nexustop`` (import name ``nexustop``):
``platform/`` itself is deliberately *not* a Python package, so the standard
library's ``platform`` module is never shadowed.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "platform"))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nexustop.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
