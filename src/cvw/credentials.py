"""Secrets the embedded installation generates for itself on first use.

Each secret is a file under ``<state_dir>/secrets`` (folder 0700, file 0600),
created once with a random value and read back on every later use, so the
database passwords, the CRM API token and the identity-hash key survive
restarts and are never committed, logged or printed. A team running its own
servers supplies its secrets through Airflow connections and its secret store
instead (README, "Access").
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

SECRET_BYTES = 32


def secrets_dir(state_dir: Path) -> Path:
    folder = state_dir / "secrets"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def secret(state_dir: Path, name: str) -> str:
    """The named secret, generated (URL-safe, 256 bits) the first time it is asked for."""
    folder = secrets_dir(state_dir)
    path = folder / name
    if not path.exists():
        # Written aside and linked into place: two processes asking at once agree
        # on one value, and nobody ever reads a half-written file.
        fd, draft = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(SECRET_BYTES) + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    value = path.read_text().strip()
    if not value:
        raise RuntimeError(f"secret file {path} is empty; remove it to generate a new one")
    return value


CRM_API_TOKEN_ENV = "CRM_API_TOKEN"


def crm_api_token(state_dir: Path) -> str:
    """The CRM API's bearer token: ``CRM_API_TOKEN`` where a container sets it, else generated."""
    return os.environ.get(CRM_API_TOKEN_ENV, "").strip() or secret(state_dir, "crm_api_token")
