"""`platform/` must never shadow the standard library's `platform` module."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig

import pytest
from django.conf import settings

from tests.support.processes import celery_worker, child_env

STDLIB = sysconfig.get_paths()["stdlib"]


def test_standard_platform_module_in_this_django_process():
    import platform

    assert platform.__file__.startswith(STDLIB)
    assert platform.system() == "Linux"
    import uuid

    assert uuid.uuid4().version == 4  # uuid imports platform at load time


def test_standard_platform_module_in_a_manage_py_process():
    code = "import json, platform, django; print(json.dumps([platform.system(), platform.__file__]))"
    proc = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=settings.PROJECT_ROOT,
                          env=child_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    system, module_file = json.loads(proc.stdout.strip().splitlines()[-1])
    assert system == "Linux"
    assert module_file.startswith(STDLIB)


@pytest.mark.django_db
def test_standard_platform_module_in_a_celery_worker():
    from shared_apps.core.tasks import platform_probe

    with celery_worker():
        result = platform_probe.delay().get(timeout=60)
    assert result["system"] == "Linux"
    assert result["module_file"].startswith(STDLIB)
