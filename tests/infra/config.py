"""The three views of configuration, read from source: what the code reads, what .env.example
documents, and what Terraform injects into the ECS tasks."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

from tests.infra.terraform import MODULES, parse

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"

# Code the production image runs (the Dockerfile's whitelist) ...
PRODUCTION_CODE = ["manage.py", "gunicorn.conf.py", "platform", "tenants", "countries", "shared_apps", "tenant_apps",
                   "provider_plugins"]
# ... minus what only development and tests run. Each entry says why (a folder: everything below it).
DEVELOPMENT_ONLY = {
    "platform/nexustop_dev": "development package, not in the image: `make run`, `make test`, bench/fuzz commands",
    "platform/nexustop/settings/dev.py": "development settings",
    "platform/nexustop/settings/test.py": "test settings",
    "platform/nexustop/settings/bench.py": "benchmark settings (bench_purchases' web server and worker)",
    "provider_plugins/simulate.py": "runs the simulators for `make run`",
    "provider_plugins/simkit": "the simulators' HTTP servers and fault modes",
}
ENV_READERS = {"env_str", "env_int", "env_bool", "env_list"}
ENVIRON_CALLS = {"os.environ.get", "os.getenv", "os.environ.setdefault", "os.environ.pop"}


@dataclass(frozen=True)
class EnvRead:
    name: str | None  # None: the name is not a literal (parity cannot check it)
    path: str
    line: int


def _development_only(path: Path) -> bool:
    relative = path.relative_to(ROOT)
    return any(str(relative) == entry or relative.is_relative_to(entry) for entry in DEVELOPMENT_ONLY)


def _plugin_simulator(path: Path) -> bool:
    """A plugin's ``simulator.py`` or a module of its ``simulator/`` package (run by tests and ``make run`` only)."""
    return path.name == "simulator.py" or "simulator" in path.relative_to(ROOT).parts[:-1]


def _python_files() -> list[Path]:
    files: list[Path] = []
    for entry in PRODUCTION_CODE:
        path = ROOT / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [path for path in files if "migrations" not in path.parts
            and not _plugin_simulator(path) and not _development_only(path)]


def env_reads() -> list[EnvRead]:
    """Every environment read in production code: env_*("X"), os.environ.get/[]/getenv("X")."""
    reads: list[EnvRead] = []
    for path in _python_files():
        relative = str(path.relative_to(ROOT))
        if relative == "platform/nexustop/settings/env.py":
            continue  # the readers themselves
        for node in ast.walk(ast.parse(path.read_text())):
            argument = None
            if isinstance(node, ast.Call):
                callee = ast.unparse(node.func)
                if callee in ENV_READERS or callee in ENVIRON_CALLS:
                    argument = node.args[0] if node.args else None
                else:
                    continue
            elif isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
                argument = node.slice
            else:
                continue
            name = argument.value if isinstance(argument, ast.Constant) and isinstance(argument.value, str) else None
            reads.append(EnvRead(name=name, path=relative, line=node.lineno))
    return reads


@dataclass(frozen=True)
class Documented:
    name: str
    comment: str
    required: bool
    secret: bool
    dev: bool


def documented() -> dict[str, Documented]:
    """``.env.example``: each NAME=value with the comment lines right above it (shared by a group)."""
    found: dict[str, Documented] = {}
    comment: list[str] = []
    after_variable = False
    for raw in ENV_EXAMPLE.read_text().splitlines():
        line = raw.strip()
        if not line:
            comment, after_variable = [], False
        elif line.startswith("#"):
            text = line.lstrip("#").strip()
            if after_variable or set(text) <= {"-"}:  # a new comment, or a section rule
                comment, after_variable = [], False
            if not set(text) <= {"-"}:
                comment.append(text)
        else:
            after_variable = True
            name = line.split("=", 1)[0].strip()
            assert re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f".env.example: bad line {raw!r}"
            assert name not in found, f".env.example lists {name} twice"
            text = " ".join(comment)
            found[name] = Documented(name=name, comment=text, required="[required]" in text,
                                     secret="[secret]" in text, dev="[dev]" in text)
    return found


@dataclass(frozen=True)
class Injected:
    name: str
    secret: bool  # from Secrets Manager (ECS "secrets"), else a plain task-definition value
    processes: tuple[str, ...]


def _compute_locals() -> dict:
    values: dict = {}
    for entry in parse(MODULES / "compute" / "main.tf")["locals"]:
        values.update(entry)
    return values


def injected() -> dict[str, Injected]:
    """What the ECS task definitions inject, by variable name."""
    values = _compute_locals()
    processes = tuple(values["processes"])
    found: dict[str, Injected] = {}
    for item in values["common_environment"]:
        found[item["name"]] = Injected(item["name"], secret=False, processes=processes)
    for item in values["common_secrets"]:
        assert item["name"] not in found, f"{item['name']} is injected both as a value and as a secret"
        found[item["name"]] = Injected(item["name"], secret=True, processes=processes)
    for process, spec in values["processes"].items():
        for item in spec["extra"]:
            previous = found.get(item["name"])
            found[item["name"]] = Injected(item["name"], secret=False,
                                           processes=(*(previous.processes if previous else ()), process))
    return found


def injected_secret_sources() -> dict[str, str]:
    """Secret variable name -> its ``valueFrom`` expression."""
    return {item["name"]: item["valueFrom"] for item in _compute_locals()["common_secrets"]}


def migrate_command() -> str:
    return " ".join(_compute_locals()["processes"]["migrate"]["command"])
