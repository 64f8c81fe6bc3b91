"""The simulated CRM REST API as a process (``cvw sources serve``) or a thread (``serving``).

The API's bearer token is ``CRM_API_TOKEN`` if set, else the one generated under the
state directory (``cvw.credentials``); it never appears on a command line or in a log.

``cvw sources serve`` runs in the foreground until Ctrl-C or SIGTERM, as the Compose
file's ``crm-api`` service does. The demo, the Airflow UI, the benchmark and the
tests serve it from a thread of their own process for as long as they need it, so
there is no background server to track or to leave behind.
"""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cvw.cli import Commands, UsageError
from cvw.config import Settings, load_settings
from cvw.credentials import crm_api_token
from cvw_sources import crm_api

HOST = "127.0.0.1"


def register(commands: Commands) -> None:
    parser = commands.group_command(
        "sources", "serve", "serve the simulated CRM API in the foreground", _serve
    )
    parser.add_argument("--port", type=int, help="default CVW_CRM_PORT")
    parser.add_argument("--db", type=Path, help="default CRM_DB_PATH")
    parser.add_argument("--fail-every", type=int, default=0, metavar="N")
    parser.add_argument(
        "--host", default=HOST, help="address to listen on (0.0.0.0 inside a container)"
    )


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


def _port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex((HOST, port)) == 0


def _serve(args: argparse.Namespace) -> int:
    settings = load_settings()
    port = settings.crm_port if args.port is None else args.port
    db_path = settings.crm_db_path if args.db is None else args.db
    if not 1 <= port <= 65535:
        raise UsageError(f"--port must be from 1 to 65535, got {port}")
    if args.fail_every < 0:
        raise UsageError(f"--fail-every must be 0 or more, got {args.fail_every}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # A container stop sends SIGTERM; exiting through SystemExit closes the socket cleanly.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        crm_api.serve(
            db_path,
            args.host,
            port,
            token=crm_api_token(settings.state_dir),
            fail_every=args.fail_every,
        )
    except KeyboardInterrupt:
        pass
    except OSError as error:
        raise RuntimeError(f"cannot listen on {args.host}:{port}: {error}") from error
    return 0
