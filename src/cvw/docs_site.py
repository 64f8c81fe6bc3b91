"""The dbt docs site of the published marts, built and served on this machine.

The site (``manifest.json``, ``catalog.json``, ``index.html``) is written to
``<state_dir>/dbt/docs``; its catalog reads the published ``marts``, so the
pipeline must have published once. The server listens on 127.0.0.1 only and runs
until Ctrl-C.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from cvw import runner
from cvw.config import Settings

HOST = "127.0.0.1"


def serve(settings: Settings, site: Path, port: int) -> int:
    print(f"Serving on http://{HOST}:{port} (this machine only); Ctrl-C stops it")
    command = [
        *runner.dbt_args(settings, "docs serve", site),
        *["--host", HOST, "--port", str(port), "--no-browser"],
    ]
    try:
        return subprocess.run(
            command, cwd=runner.DBT_PROJECT_DIR, env=runner.tool_env(settings), check=False
        ).returncode
    except KeyboardInterrupt:
        return 0
