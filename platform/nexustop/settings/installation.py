"""Secrets generated once per installation for `make run` and the tests, never a public default.

Without ``DJANGO_SECRET_KEY`` the development and test settings take their key from
``.local/secrets/<name>`` (with the embedded database's data, ignored by git): a
random value written on first start with mode 0600 (directory 0700), then read by
every process of the installation (web, worker, simulators, test children), so
encrypted rows stay readable across restarts. The demo logins' password is one
too (printed by ``make run``). Everything derived from
``SECRET_KEY`` (the JWT signing key, the KYC, reseller-secret and provider-credential
encryption keys, OTP hashes, sessions) is therefore as random as this file.
Production never reads it: ``prod.py`` requires ``DJANGO_SECRET_KEY`` (50+ characters).
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

MIN_LENGTH = 50
SECRETS_DIR = Path(os.environ.get("NEXUSTOP_SECRETS_DIR") or Path(__file__).resolve().parents[3] / ".local" / "secrets")


def installation_secret(name: str, *, directory: Path | None = None, nbytes: int = 64,
                        min_length: int = MIN_LENGTH) -> str:
    """The installation's secret ``name``: read it, or create it (random, 0600) the first time.

    Creation is atomic (written to a private temporary file, then hard-linked into place): processes
    starting together all end up with the same value.
    """
    directory = directory or SECRETS_DIR
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    path = directory / name
    if not path.exists():
        temporary = directory / f".{name}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(nbytes))
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process won the race: use its value
        finally:
            temporary.unlink(missing_ok=True)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        os.chmod(path, 0o600)
    value = path.read_text().strip()
    if len(value) < min_length:
        raise RuntimeError(f"{path} holds a secret shorter than {min_length} characters: delete it to get a new one")
    return value
