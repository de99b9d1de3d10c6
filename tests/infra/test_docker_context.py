"""The image: a small build context (computed from .dockerignore) and a sane Dockerfile.

Docker itself is not needed: .dockerignore is evaluated with Docker's own rules
(moby patternmatcher ``MatchesOrParentMatches``: patterns anchored at the context root, ``**`` spans
directories, the last matching pattern wins, ``!`` re-includes, and a pattern
matching a parent directory matches everything below it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_CONTEXT_BYTES = 5 * 1024 * 1024


def _compile(pattern: str) -> re.Pattern:
    out, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            if pattern[i + 1:i + 2] == "*":
                i += 1
                if pattern[i + 1:i + 2] == "/":
                    i += 1
                    out += "(?:.*/)?"
                else:
                    out += ".*"
            else:
                out += "[^/]*"
        elif char == "?":
            out += "[^/]"
        elif char == "[":
            end = pattern.index("]", i)
            out += pattern[i:end + 1]
            i = end
        else:
            out += re.escape(char)
        i += 1
    return re.compile(f"^{out}$")


def load_dockerignore(path: Path) -> list[tuple[bool, re.Pattern, int]]:
    rules = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        pattern = os.path.normpath(line[1:] if exclusion else line).lstrip("/")
        rules.append((exclusion, _compile(pattern), pattern.count("/") + 1))
    return rules


def is_ignored(relative: str, rules) -> bool:
    parts = relative.split("/")
    ignored = False
    for exclusion, regex, _depth in rules:
        matched = bool(regex.match(relative)) or any(
            regex.match("/".join(parts[:i])) for i in range(1, len(parts)))
        if matched:
            ignored = not exclusion
    return ignored


def build_context(root: Path = ROOT) -> dict[str, int]:
    """Files Docker would send, with their sizes."""
    rules = load_dockerignore(root / ".dockerignore")
    reincludes = [regex for exclusion, regex, _ in rules if exclusion]
    files: dict[str, int] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        # Prune ignored directories nothing below could be re-included from (speed only).
        dirnames[:] = [d for d in dirnames if not (
            is_ignored(rel_dir + d, rules)
            and not any(regex.pattern.startswith("^" + re.escape(rel_dir + d)) for regex in reincludes))]
        for name in filenames:
            relative = rel_dir + name
            if not is_ignored(relative, rules):
                files[relative] = os.path.getsize(os.path.join(dirpath, name))
    return files


def test_matcher_follows_docker_rules():
    rules = load_dockerignore_text("*\n!platform/\n**/__pycache__\n!keep.txt\n")
    assert is_ignored("README.md", rules)
    assert is_ignored("tests/conftest.py", rules)
    assert not is_ignored("platform/nexustop/wsgi.py", rules)
    assert is_ignored("platform/nexustop/__pycache__/wsgi.cpython-311.pyc", rules)
    assert not is_ignored("keep.txt", rules)


def load_dockerignore_text(text: str):
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".dockerignore", delete=False) as handle:
        handle.write(text)
    try:
        return load_dockerignore(Path(handle.name))
    finally:
        os.unlink(handle.name)


def test_build_context_is_small_and_complete():
    files = build_context()
    total = sum(files.values())
    assert total < MAX_CONTEXT_BYTES, f"build context is {total / 1e6:.1f} MB"
    for needed in ("manage.py", "gunicorn.conf.py", "Procfile", "requirements/base.txt", "requirements/prod.txt",
                   "platform/nexustop/wsgi.py", "platform/nexustop/settings/prod.py"):
        assert needed in files, f"{needed} missing from the build context"
    # Every top-level Python package the app imports is shipped.
    packages = [p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests"]
    assert len(packages) >= 5
    for package in packages:
        assert f"{package}/__init__.py" in files, f"package {package} missing from the build context"
    # Nothing that only development needs.
    for path in files:
        top = path.split("/", 1)[0]
        assert top not in {"tests", "docs", "infra", ".git", ".venv", ".venv-checkov", ".local", "staticfiles"}, path
        assert "__pycache__" not in path and not path.endswith(".pyc"), path


def test_dockerfile_is_multi_stage_slim_and_non_root():
    text = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM\s+(\S+)", text, re.MULTILINE)
    assert len(stages) >= 2
    assert all("slim" in image for image in stages)
    runtime = text.split("AS runtime", 1)[1]
    assert "build-essential" not in runtime
    user = re.findall(r"^USER\s+(\S+)", runtime, re.MULTILINE)
    assert user and user[-1].split(":")[0] not in {"0", "root"}
    assert re.search(r"PYTHONPATH=\S*/app/platform", runtime)
    assert "DJANGO_SETTINGS_MODULE=nexustop.settings.prod" in runtime
    assert '"gunicorn", "nexustop.wsgi:application"' in runtime
    # Every COPY source exists in the context.
    files = build_context()
    for sources in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.MULTILINE):
        for source in sources.split():
            if source != ".":
                assert source in files, f"COPY {source}: not in the build context"


def test_process_layout_web_worker_dispatcher_beat_migrate():
    procfile = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines()
                    if line and not line.startswith("#"))
    assert set(procfile) == {"web", "worker", "dispatcher", "beat", "migrate"}
    assert "gunicorn nexustop.wsgi:application" in procfile["web"]
    assert "celery -A nexustop worker" in procfile["worker"]
    assert "celery -A nexustop beat" in procfile["beat"]
    assert "manage.py run_dispatcher" in procfile["dispatcher"]
    assert "migrate_schemas" in procfile["migrate"] and "--executor=multiprocessing" in procfile["migrate"]
    prod = (ROOT / "requirements" / "prod.txt").read_text()
    assert re.search(r"^gunicorn==[\d.]+$", prod, re.MULTILINE)
