"""Run Apache Superset over the published marts: start, stop, status.

Usage: python scripts/bi.py {start|stop|status|export} [--port N]

``start`` needs a published demo (schema ``marts``; run ``make demo`` first). It
migrates Superset's metadata under the state directory, creates the admin user
(its generated password is printed the first time and kept in
``<state_dir>/secrets/superset_admin_password``), imports the dashboards kept as
code under ``bi/superset/assets`` and serves them on 127.0.0.1 in the
background (pid in ``<state_dir>/superset.pid``, log in ``<state_dir>/superset.log``).
``export`` writes every dashboard of that Superset back to ``bi/superset/assets``
(the connection without its server), to review and commit.
"""

from __future__ import annotations

import argparse
import sys

from cvw import bi
from cvw.config import load_settings


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bi.py", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop", "status", "export"])
    parser.add_argument("--port", type=int, default=bi.DEFAULT_PORT)
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.command == "stop":
        print("Superset stopped" if bi.stop(settings) else "Superset was not running")
        return 0
    if args.command == "status":
        running = bi.is_running(settings)
        print(f"Superset {'running' if running else 'stopped'}")
        return 0 if running else 1
    if args.command == "export":
        written = bi.export_assets(settings)
        print(f"{len(written)} files written under {bi.ASSETS_DIR}; review with git diff")
        return 0
    if not bi.published_marts_exist(settings):
        print("error: no published marts (schema marts); run `make demo` first", file=sys.stderr)
        return 1
    new_password = bi.set_up(settings)
    bi.serve(settings, args.port)
    print(f"Superset on http://127.0.0.1:{args.port}/dashboard/list/ as {bi.ADMIN_USER}")
    if new_password:
        print(f"admin password (shown once; kept in the state directory's secrets): {new_password}")
    else:
        print(f"admin password in {bi.admin_password_file(settings)}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
