"""The project's WSGI application for the bench's other web servers (granian, uWSGI with ``--lazy-apps``).

Loaded in each worker; then what gunicorn does for its workers (``gunicorn.conf.py``'s ``post_worker_init``:
every view imported, the start-up objects frozen out of the garbage collector's scans), so that a server
comparison does not count ~0.14 ms per request of full collections against the servers without that hook.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from nexustop.wsgi import application

runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))["post_worker_init"](None)

__all__ = ["application"]
