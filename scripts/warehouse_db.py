"""Manage the embedded PostgreSQL server: start, stop, status, url.

Usage: python scripts/warehouse_db.py {start|stop|status|url}
With WAREHOUSE_URL set, the embedded server is not used and start/stop do nothing.
"""

from __future__ import annotations

import sys

from cvw import embedded_pg
from cvw.config import load_settings


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"start", "stop", "status", "url"}:
        print("usage: warehouse_db.py {start|stop|status|url}", file=sys.stderr)
        return 2
    command, settings = argv[0], load_settings()
    if command == "url":
        print(settings.warehouse_url)
        return 0
    if not settings.embedded:
        print(f"WAREHOUSE_URL is set ({settings.warehouse_url}): no embedded server to {command}")
        return 0
    if command == "start":
        embedded_pg.start(settings)
        print(f"PostgreSQL running on 127.0.0.1:{settings.pg_port} (data in {settings.pgdata})")
    elif command == "stop":
        stopped = embedded_pg.stop(settings)
        print("PostgreSQL stopped" if stopped else "PostgreSQL was not running")
    else:
        running = embedded_pg.is_running(settings)
        print(f"PostgreSQL {'running' if running else 'stopped'} on 127.0.0.1:{settings.pg_port}")
        return 0 if running else 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
