"""Build the dbt docs site of the published marts and serve it on this machine.

Usage: python scripts/dbt_docs.py [--port N] [--no-serve]

The site (``manifest.json``, ``catalog.json``, ``index.html``) is written to
``<state_dir>/dbt/docs``; its catalog reads the published ``marts``, so run the
pipeline once first (``make demo``). ``--no-serve`` only builds it. The server
listens on 127.0.0.1 and runs until Ctrl-C.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from cvw import runner
from cvw.config import load_settings

HOST = "127.0.0.1"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--no-serve", action="store_true", help="build the site only")
    args = parser.parse_args(argv)
    settings = load_settings()
    try:
        site = runner.dbt_docs_generate(settings)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"dbt docs built in {site}")
    if args.no_serve:
        return 0
    print(f"Serving on http://{HOST}:{args.port} (this machine only); Ctrl-C stops it")
    serve = [
        *runner.dbt_args(settings, "docs serve", site),
        *["--host", HOST, "--port", str(args.port), "--no-browser"],
    ]
    try:
        return subprocess.run(
            serve, cwd=runner.DBT_PROJECT_DIR, env=runner.tool_env(settings), check=False
        ).returncode
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
