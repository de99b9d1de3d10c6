"""Parse infra/terraform with python-hcl2 into plain Python (quotes stripped)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import hcl2
from hcl2.utils import SerializationOptions

TERRAFORM = Path(__file__).resolve().parents[2] / "infra" / "terraform"
MODULES = TERRAFORM / "modules"
ENVIRONMENTS = TERRAFORM / "environments"


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    body: dict
    file: Path

    @property
    def address(self) -> str:
        return f"{self.file.relative_to(TERRAFORM)}:{self.type}.{self.name}"


def tf_files() -> list[Path]:
    return sorted(path for path in TERRAFORM.rglob("*.tf") if ".terraform" not in path.parts)


@cache
def parse(path: Path) -> dict:
    with path.open() as handle:
        return hcl2.load(handle, serialization_options=SerializationOptions(strip_string_quotes=True,
                                                                            explicit_blocks=False))


def blocks(path: Path, kind: str) -> Iterator[tuple[str, str, dict]]:
    """(type, name, body) of every ``resource``/``data`` block in a file."""
    for entry in parse(path).get(kind, []):
        for type_, named in entry.items():
            for name, body in named.items():
                yield type_, name, body


def resources(type_: str | None = None, *, kind: str = "resource") -> list[Resource]:
    found = []
    for path in tf_files():
        for found_type, name, body in blocks(path, kind):
            if type_ is None or found_type == type_:
                found.append(Resource(found_type, name, body, path))
    return found


def one(type_: str, name: str, *, kind: str = "resource") -> Resource:
    matches = [item for item in resources(type_, kind=kind) if item.name == name]
    assert len(matches) == 1, f"expected exactly one {type_}.{name}, found {len(matches)}"
    return matches[0]


def first_block(body: dict, key: str) -> dict:
    """A nested block (hcl2 gives a list of blocks, or a dict for a single one)."""
    value = body.get(key)
    assert value, f"missing block {key!r}"
    return value[0] if isinstance(value, list) else value


def all_blocks(body: dict, key: str) -> list[dict]:
    value = body.get(key) or []
    return value if isinstance(value, list) else [value]


def variables(path: Path) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for entry in parse(path).get("variable", []):
        found.update(entry)
    return found


def environment_dirs() -> list[Path]:
    return sorted(path for path in ENVIRONMENTS.iterdir() if path.is_dir())


def tfvars(env: Path) -> dict:
    path = env / "terraform.tfvars"
    return parse(path) if path.exists() else {}


def module_calls(env: Path) -> dict[str, dict]:
    calls: dict[str, dict] = {}
    for entry in parse(env / "main.tf").get("module", []):
        calls.update(entry)
    return calls


def _ref(value, prefix: str) -> str | None:
    if isinstance(value, str) and value.startswith("${" + prefix) and value.endswith("}"):
        inner = value[2 + len(prefix):-1]
        if inner.replace("_", "").isalnum():
            return inner
    return None


def effective(resource: Resource, value, env: Path):
    """Value of a module resource attribute in an environment: follows var.X through the module call."""
    name = _ref(value, "var.")
    if name is None:
        return value
    module_dir = resource.file.parent
    call = next((args for args in module_calls(env).values()
                 if (env / args["source"]).resolve() == module_dir.resolve()), None)
    assert call is not None, f"{env.name} does not use module {module_dir.name}"
    if name in call:
        passed = call[name]
        env_var = _ref(passed, "var.")
        if env_var is None:
            return passed
        values = tfvars(env)
        if env_var in values:
            return values[env_var]
        return variables(env / "variables.tf")[env_var].get("default")
    return variables(module_dir / "variables.tf")[name].get("default")
