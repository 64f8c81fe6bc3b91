"""Import a bundle of Superset assets, overwriting what exists (run with Superset's Python).

Usage: .venv-bi/bin/python bi/superset/import_assets.py BUNDLE.zip USERNAME

``superset import-dashboards`` overwrites the dashboards only: a chart or dataset
edited in the repository would keep its old definition in an existing Superset.
Superset's asset import (the one behind its /api/v1/assets/import/ endpoint)
overwrites the connection, datasets, charts and dashboards alike, so the
repository stays the source of truth. The bundle's metadata.yaml must say
``type: assets``.
"""

import sys
from zipfile import ZipFile

from superset.app import create_app


def main(bundle_path: str, username: str) -> None:
    app = create_app()
    with app.app_context():
        # Superset must be initialised before these modules are imported.
        from flask import g
        from superset import security_manager
        from superset.commands.importers.v1.assets import ImportAssetsCommand
        from superset.commands.importers.v1.utils import get_contents_from_bundle

        g.user = security_manager.find_user(username=username)
        with ZipFile(bundle_path) as bundle:
            contents = get_contents_from_bundle(bundle)
        ImportAssetsCommand(contents).run()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
