"""Create Superset's admin user unless it exists (run with Superset's Python).

Usage: SUPERSET_ADMIN_PASSWORD=... .venv-bi/bin/python bi/superset/create_admin.py USERNAME

The password comes from the environment, never the command line, where any user of
the machine could read it in the process list (``superset fab create-admin`` takes
it as an argument or prompts on the terminal).
"""

import os
import sys

from superset.app import create_app

PASSWORD_ENV = "SUPERSET_ADMIN_PASSWORD"


def main(username: str) -> None:
    app = create_app()
    with app.app_context():
        # Superset must be initialised before this module is imported.
        from superset import security_manager

        if security_manager.find_user(username=username) is not None:
            return
        user = security_manager.add_user(
            username=username,
            first_name="Warehouse",
            last_name="Admin",
            email=f"{username}@localhost",
            role=security_manager.find_role("Admin"),
            password=os.environ[PASSWORD_ENV],
        )
        if not user:
            sys.exit(f"could not create the Superset user {username}")


if __name__ == "__main__":
    main(sys.argv[1])
