"""The suite runs on the test settings, however it is started (``make test`` goes through ``nexustop_dev.testrun``;
importing ``nexustop`` anywhere in that process defaults DJANGO_SETTINGS_MODULE to the dev settings)."""

import os
import subprocess
import sys

from django.conf import settings


def test_the_suite_runs_on_the_test_settings_with_a_private_queue():
    assert settings.SETTINGS_MODULE == "nexustop.settings.test"
    assert settings.CELERY_TASK_DEFAULT_QUEUE.startswith("nexustop-test-")
    assert settings.DEBUG is False


def test_testrun_hands_pytest_the_test_settings_even_after_importing_the_celery_app():
    code = ("import os, nexustop, nexustop_dev.testrun as t;"
            "assert os.environ['DJANGO_SETTINGS_MODULE'] == 'nexustop.settings.dev';"
            "os.environ['DATABASE_URL'] = os.environ['REDIS_URL'] = 'x';"
            "t._ensure_a_browser = lambda: None; t._split_for_pooler = lambda args: None;"
            "t._pytest = lambda args: print(os.environ['DJANGO_SETTINGS_MODULE']) or 0; t.main()")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60,
                         cwd=settings.PROJECT_ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "nexustop.settings.test"


def test_every_test_folder_is_a_package():
    """Without ``__init__.py`` a folder's ``scope="package"`` fixture belongs to ``tests`` itself and lives until
    the session ends: its patches and registry rows leak into every later test of that xdist worker."""
    from pathlib import Path

    root = Path(settings.PROJECT_ROOT) / "tests"
    missing = [str(folder.relative_to(root)) for folder in root.rglob("*") if folder.is_dir()
               and any(folder.glob("test_*.py")) and not (folder / "__init__.py").exists()]
    assert missing == []
