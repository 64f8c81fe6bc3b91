"""Manage the embedded PostgreSQL server: start, stop, status, url, roles-sql.

Usage: python scripts/warehouse_db.py {start|stop|status|setup|roles-sql|url [ROLE]}

``url ROLE`` prints that role's URL with its password (for a BI tool or psql);
``roles-sql`` prints the roles and grants as a psql script for a DBA;
``setup`` creates them as the administrator of WAREHOUSE_URL, with generated
passwords in the state directory's passfile (README, "Access"); ``start``
does it on the embedded server. With WAREHOUSE_URL set, the embedded server is not used
and start/stop do nothing.
"""

from __future__ import annotations

import sys

from cvw import embedded_pg
from cvw.access import bootstrap, login_roles, setup_script, url_with_password, write_passfile
from cvw.config import Settings, load_settings


def main(argv: list[str]) -> int:
    commands = {"start", "stop", "status", "url", "roles-sql", "setup"}
    if not argv or argv[0] not in commands or len(argv) > (2 if argv[0] == "url" else 1):
        print(
            "usage: warehouse_db.py {start|stop|status|setup|roles-sql|url [ROLE]}",
            file=sys.stderr,
        )
        return 2
    command, settings = argv[0], load_settings()
    if command == "roles-sql":
        print(setup_script(settings), end="")
        return 0
    if command == "setup":
        bootstrap(settings)
        print(f"roles and grants set up; passwords in {write_passfile(settings)}")
        return 0
    if command == "url":
        return _print_url(settings, argv[1] if len(argv) == 2 else None)
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


def _print_url(settings: Settings, role: str | None) -> int:
    if role is None:
        print(settings.warehouse_url)
        return 0
    roles = (*login_roles(settings), "postgres")
    if role not in roles:
        print(f"error: unknown role {role!r}; one of {', '.join(roles)}", file=sys.stderr)
        return 2
    if not settings.embedded:
        print(settings.component_url(role))
        return 0
    print(url_with_password(settings, role))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
