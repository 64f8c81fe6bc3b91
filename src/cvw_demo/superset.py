"""Apache Superset over the published marts: set up, import the dashboards kept as code, serve.

Superset lives in its own virtualenv (``.venv-bi``: it pins SQLAlchemy 1.4 and
Flask 3.1) and keeps its metadata in SQLite under ``<state_dir>/superset``. It
reads the warehouse as the BI reader only. The connection in the repository's
assets names no server and no password: the import fills in this installation's
host, port and database, and the password reaches libpq through a password file
holding that one role, so neither Superset's metadata nor the assets ever hold it.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import yaml

from cvw.access import password
from cvw.config import PROJECT_ROOT, Settings
from cvw.credentials import secret, secrets_dir

BI_VENV = PROJECT_ROOT / ".venv-bi"
CONFIG_PATH = PROJECT_ROOT / "bi" / "superset" / "superset_config.py"
ASSETS_DIR = PROJECT_ROOT / "bi" / "superset" / "assets"
IMPORTER = PROJECT_ROOT / "bi" / "superset" / "import_assets.py"
ADMIN_CREATOR = PROJECT_ROOT / "bi" / "superset" / "create_admin.py"
ADMIN_USER = "admin"
DEFAULT_PORT = 8088
# Every published demo has this mart; without the marts every chart would fail.
REQUIRED_MART = "marts.customer_360"
START_TIMEOUT_S = 120.0


def home(settings: Settings) -> Path:
    """Superset's folder (metadata, scratch bundles), created for its owner only."""
    folder = settings.state_dir / "superset"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def pid_file(settings: Settings) -> Path:
    return settings.state_dir / "superset.pid"


def log_file(settings: Settings) -> Path:
    return settings.state_dir / "superset.log"


def reader_role(settings: Settings) -> str:
    return settings.marts_reader_role


def _server_address(settings: Settings) -> str:
    server = urlsplit(settings.warehouse_url)
    return f"{server.hostname or '127.0.0.1'}:{server.port or 5432}"


def warehouse_uri(settings: Settings) -> str:
    """The warehouse as the BI reader, without a password (libpq reads it from the passfile)."""
    address = _server_address(settings)
    return f"postgresql+psycopg2://{reader_role(settings)}@{address}/{settings.warehouse_database}"


def write_reader_passfile(settings: Settings) -> Path:
    """A libpq password file with the BI reader's line only: Superset can log in as nobody else."""
    role = reader_role(settings)
    line = f"{_server_address(settings)}:*:{role}:{password(settings, role)}"
    path = secrets_dir(settings.state_dir) / "superset_pgpass"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(line + "\n")
    return path


def admin_password_file(settings: Settings) -> Path:
    return secrets_dir(settings.state_dir) / "superset_admin_password"


def admin_password(settings: Settings) -> tuple[str, bool]:
    """The admin's password and whether it was generated just now (so it is printed once)."""
    is_new = not admin_password_file(settings).exists()
    return secret(settings.state_dir, admin_password_file(settings).name), is_new


def environment(settings: Settings) -> dict[str, str]:
    superset_home = home(settings)
    if settings.embedded:
        passfile = str(write_reader_passfile(settings))
    else:
        # On a team's own server the BI reader's password is in the PGPASSFILE it supplies.
        passfile = os.environ.get("PGPASSFILE", str(Path.home() / ".pgpass"))
    # The warehouse's PYTHONPATH must not leak into Superset's interpreter.
    inherited = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return {
        **inherited,
        "PATH": f"{BI_VENV / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "FLASK_APP": "superset",
        "SUPERSET_HOME": str(superset_home),
        "SUPERSET_CONFIG_PATH": str(CONFIG_PATH),
        "SUPERSET_SECRET_KEY": secret(settings.state_dir, "superset_secret_key"),
        "PGPASSFILE": passfile,
        "DO_NOT_TRACK": "1",
    }


def published_marts_exist(settings: Settings) -> bool:
    with psycopg.connect(settings.warehouse_url) as conn:
        row = conn.execute("select to_regclass(%s) is not null", (REQUIRED_MART,)).fetchone()
    return bool(row and row[0])


def _superset(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return _run_in_superset(settings, [str(BI_VENV / "bin" / "superset"), *args])


def _run_in_superset(
    settings: Settings, command: list[str], extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run Superset's CLI or a script in its virtualenv with this installation's environment."""
    env = {**environment(settings), **(extra_env or {})}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"{Path(command[0]).name} {command[1]} failed: " + " | ".join(tail))
    return done


def set_up(settings: Settings) -> str | None:
    """Migrate the metadata, create the admin and roles, import the assets.

    Returns the admin password when it was generated by this call, else None.
    """
    _superset(settings, "db", "upgrade")
    # Roles and permissions first: the admin user is given the Admin role.
    _superset(settings, "init")
    secret_value, is_new = admin_password(settings)
    _run_in_superset(
        settings,
        [str(BI_VENV / "bin" / "python"), str(ADMIN_CREATOR), ADMIN_USER],
        extra_env={"SUPERSET_ADMIN_PASSWORD": secret_value},
    )
    import_assets(settings)
    return secret_value if is_new else None


def import_assets(settings: Settings, assets_dir: Path = ASSETS_DIR) -> None:
    """Import the dashboards, charts, datasets and connection kept under ``assets_dir``."""
    with tempfile.TemporaryDirectory(dir=home(settings)) as scratch:
        bundle = Path(scratch) / "assets.zip"
        with zipfile.ZipFile(bundle, "w") as archive:
            for path in sorted(assets_dir.rglob("*.yaml")):
                text = path.read_text()
                if path.parent.name == "databases":
                    config = yaml.safe_load(text)
                    config["sqlalchemy_uri"] = warehouse_uri(settings)
                    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
                elif path.name == "metadata.yaml":
                    # The asset import, which overwrites every kind, takes this type only.
                    config = yaml.safe_load(text)
                    config["type"] = "assets"
                    text = yaml.safe_dump(config, sort_keys=False)
                archive.writestr(f"assets/{path.relative_to(assets_dir)}", text)
        python = str(BI_VENV / "bin" / "python")
        _run_in_superset(settings, [python, str(IMPORTER), str(bundle), ADMIN_USER])


# The connection as committed: the import fills in the server (warehouse_uri).
COMMITTED_URI = "postgresql+psycopg2:///warehouse"
_EXPORT_ID_SUFFIX = re.compile(r"_\d+(?=\.yaml$)")


def export_assets(settings: Settings, assets_dir: Path = ASSETS_DIR) -> list[Path]:
    """Replace ``assets_dir`` with Superset's export of every dashboard, ready to commit.

    File names lose the instance's ids (``Retention_3.yaml`` becomes ``Retention.yaml``)
    so a re-export changes only what was edited, and the connection loses its server.
    """
    with tempfile.TemporaryDirectory(dir=home(settings)) as scratch:
        bundle = Path(scratch) / "export.zip"
        _superset(settings, "export-dashboards", "--dashboard-file", str(bundle))
        with zipfile.ZipFile(bundle) as archive:
            files = {
                # Every entry sits under one dashboard_export_<timestamp>/ folder.
                Path(*Path(name).parts[1:]): archive.read(name).decode()
                for name in archive.namelist()
                if name.endswith(".yaml")
            }
    shutil.rmtree(assets_dir, ignore_errors=True)
    written = []
    for relative, text in sorted(files.items()):
        config = yaml.safe_load(text)
        if relative.parent.name == "databases":
            config["sqlalchemy_uri"] = COMMITTED_URI
        if relative.parent.name == "dashboards":
            _drop_chart_id_lists(config)
        # Written back with the Chinese terms as characters, not \u escapes, for review.
        text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, width=100)
        target = assets_dir / relative.parent / _EXPORT_ID_SUFFIX.sub("", relative.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        written.append(target)
    return written


def _drop_chart_id_lists(dashboard: dict[str, Any]) -> None:
    """Remove the filters' lists of this instance's chart ids.

    The import renumbers charts but leaves ``chartsInScope`` as exported, so a filter
    would apply to other charts than the ones it names; without the lists the page
    derives them from each filter's scope, which the import does renumber.
    """
    metadata = dashboard.get("metadata", {})
    for native_filter in metadata.get("native_filter_configuration", []):
        native_filter.pop("chartsInScope", None)
        native_filter.pop("tabsInScope", None)
    metadata.get("global_chart_configuration", {}).pop("chartsInScope", None)


def is_running(settings: Settings) -> bool:
    path = pid_file(settings)
    if not path.exists():
        return False
    try:
        os.kill(int(path.read_text()), 0)
    except (ProcessLookupError, ValueError):
        return False
    return True


def serve(settings: Settings, port: int) -> None:
    """Start Superset (gunicorn, one worker) on 127.0.0.1:port in its own session; wait for it."""
    if is_running(settings):
        return
    command = [
        str(BI_VENV / "bin" / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
        "--worker-class",
        "gthread",
        "--threads",
        "8",
        "--timeout",
        "120",
        "superset.app:create_app()",
    ]
    with log_file(settings).open("ab") as log:
        process = subprocess.Popen(
            command,
            env=environment(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file(settings).write_text(str(process.pid))
    wait_until_healthy(port, process)


def wait_until_healthy(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Superset exited with code {process.returncode}; see its log")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(1)
    raise RuntimeError(f"Superset did not answer on port {port} within {START_TIMEOUT_S:.0f} s")


def stop(settings: Settings) -> bool:
    """Stop the server this state directory started; True when one was running."""
    path = pid_file(settings)
    if not is_running(settings):
        path.unlink(missing_ok=True)
        return False
    process_group = int(path.read_text())
    os.killpg(process_group, signal.SIGTERM)
    for _ in range(30):
        try:
            os.killpg(process_group, 0)
        except ProcessLookupError:
            break
        time.sleep(0.5)
    else:
        os.killpg(process_group, signal.SIGKILL)
    path.unlink(missing_ok=True)
    return True
