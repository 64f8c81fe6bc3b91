"""The simulated CRM REST API as a process: ``cvw sources serve|start|stop|status``.

The API's bearer token is ``CRM_API_TOKEN`` if set, else the one generated under the
state directory (``cvw.credentials``); it never appears on a command line or in a log.

``serve`` runs in the foreground. ``start`` runs it in the background for the Airflow
UI (``make ui``), records ``<pid> <port>`` in ``<state_dir>/crm_api.pid``, logs to
``<state_dir>/crm_api.log`` and returns once the API answers. ``stop`` and ``status``
use the port in the pid file. The demo, the benchmark and the tests serve it from a
thread of their own process instead (``serving``).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from cvw.cli import Commands, UsageError
from cvw.config import Settings, load_settings
from cvw.credentials import crm_api_token
from cvw_sources import crm_api

HOST = "127.0.0.1"
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0


def register(commands: Commands) -> None:
    for name, help in (
        ("serve", "serve the simulated CRM API in the foreground"),
        ("start", "start the simulated CRM API in the background"),
        ("stop", "stop the background CRM API"),
        ("status", "say whether the background CRM API answers"),
    ):
        parser = commands.group_command("sources", name, help, _HANDLERS[name])
        if name in ("serve", "start"):
            parser.add_argument("--port", type=int, help="default CVW_CRM_PORT")
            parser.add_argument("--db", type=Path, help="default CRM_DB_PATH")
            parser.add_argument("--fail-every", type=int, default=0, metavar="N")
            parser.add_argument(
                "--host", default=HOST, help="address to listen on (0.0.0.0 inside a container)"
            )


def _checked(args: argparse.Namespace, settings: Settings) -> argparse.Namespace:
    args.port = settings.crm_port if args.port is None else args.port
    args.db = settings.crm_db_path if args.db is None else args.db
    if not 1 <= args.port <= 65535:
        raise UsageError(f"--port must be from 1 to 65535, got {args.port}")
    if args.fail_every < 0:
        raise UsageError(f"--fail-every must be 0 or more, got {args.fail_every}")
    return args


@contextmanager
def serving(settings: Settings) -> Iterator[None]:
    """The CRM API on ``settings.crm_port``, served from a thread for the ``with`` block."""
    if _port_in_use(settings.crm_port):
        raise RuntimeError(f"port {settings.crm_port} on {HOST} is already in use (CVW_CRM_PORT)")
    token = crm_api_token(settings.state_dir)
    server = crm_api.make_server(settings.crm_db_path, HOST, settings.crm_port, token=token)
    thread = threading.Thread(target=server.serve_forever, name="crm-api", daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _pid_file(settings: Settings) -> Path:
    return settings.state_dir / "crm_api.pid"


def _read_pid_file(settings: Settings) -> tuple[int, int] | None:
    try:
        pid, port = _pid_file(settings).read_text().split()
        return int(pid), int(port)
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A server whose parent never reaps it lingers as a zombie: it no longer serves.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _healthy(port: int, token: str) -> bool:
    try:
        response = httpx.get(
            f"http://{HOST}:{port}{crm_api.API_PREFIX}/health",
            headers={"Authorization": f"Bearer {token}"},
            timeout=1.0,
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def _is_crm_api(pid: int) -> bool:
    """Whether ``pid`` serves the CRM API, so a stale pid file never names another process."""
    try:
        return b"sources\0serve" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return not Path("/proc").is_dir()


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) == 0


def _running(settings: Settings) -> tuple[int, int] | None:
    recorded = _read_pid_file(settings)
    if recorded and _alive(recorded[0]) and _is_crm_api(recorded[0]):
        return recorded
    return None


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # `stop` sends SIGTERM; exiting through SystemExit closes the listening socket cleanly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        crm_api.serve(
            args.db,
            args.host,
            args.port,
            token=crm_api_token(settings.state_dir),
            fail_every=args.fail_every,
        )
    except KeyboardInterrupt:
        pass
    except OSError as error:
        raise RuntimeError(f"cannot listen on {args.host}:{args.port}: {error}") from error
    return 0


def _start(args: argparse.Namespace, settings: Settings) -> int:
    running = _running(settings)
    if running:
        print(f"CRM API already running on port {running[1]} (pid {running[0]})")
        return 0
    if _port_in_use(args.port):
        raise RuntimeError(f"port {args.port} on {HOST} is already in use; choose another --port")
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.state_dir / "crm_api.log"
    # Generated here, before the server reads it, so both sides hold the same token.
    token = crm_api_token(settings.state_dir)
    command = [sys.executable, "-m", "cvw", "sources", "serve", "--port", str(args.port),
               "--db", str(args.db), "--fail-every", str(args.fail_every)]  # fmt: skip
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    _pid_file(settings).write_text(f"{process.pid} {args.port}\n")
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        exited = process.poll() is not None
        if not exited and _healthy(args.port, token):
            break
        if exited or time.monotonic() > deadline:
            _terminate(process.pid)
            _pid_file(settings).unlink(missing_ok=True)
            lines = log_path.read_text(errors="replace").strip().splitlines()
            raise RuntimeError(
                f"CRM API did not start on port {args.port}: {lines[-1] if lines else 'no log'}"
                f" (see {log_path})"
            )
        time.sleep(0.05)
    print(f"CRM API running on http://{HOST}:{args.port}{crm_api.API_PREFIX} (pid {process.pid})")
    if not args.db.is_file():
        print(f"warning: no CRM database at {args.db} yet; entity requests answer 503",
              file=sys.stderr)  # fmt: skip
    return 0


def _terminate(pid: int) -> None:
    if not _alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.05)


def _stop(settings: Settings) -> int:
    running = _running(settings)
    if running:
        _terminate(running[0])
        print(f"CRM API stopped (pid {running[0]})")
    else:
        print("CRM API was not running")
    _pid_file(settings).unlink(missing_ok=True)
    return 0


def _status(settings: Settings) -> int:
    running = _running(settings)
    if running is None:
        print("CRM API stopped")
        return 1
    pid, port = running
    if not _healthy(port, crm_api_token(settings.state_dir)):
        print(f"CRM API process {pid} is up but does not answer on port {port}")
        return 1
    print(f"CRM API running on http://{HOST}:{port}{crm_api.API_PREFIX} (pid {pid})")
    return 0


def _serve_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    return _serve(_checked(args, settings), settings)


def _start_command(args: argparse.Namespace) -> int:
    settings = load_settings()
    return _start(_checked(args, settings), settings)


_HANDLERS = {
    "serve": _serve_command,
    "start": _start_command,
    "stop": lambda _args: _stop(load_settings()),
    "status": lambda _args: _status(load_settings()),
}
