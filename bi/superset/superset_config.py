"""Superset settings for the warehouse's dashboards (read by ``superset`` via SUPERSET_CONFIG_PATH).

Everything that differs per installation comes from the environment the launcher
(``scripts/bi.py``) sets: the metadata folder under the state directory and the
generated secret key. Nothing here reaches the network: the content security
policy allows this server only, so the browser fetches no tracking pixel, map
tile or web font.
"""

import os

SUPERSET_HOME = os.environ["SUPERSET_HOME"]
DATA_DIR = SUPERSET_HOME
# Generated into the state directory's secrets on first start; never a fixed value.
SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = f"sqlite:///{os.path.join(SUPERSET_HOME, 'superset.db')}"

# One process, no Redis: results and filter state live in the process's memory.
CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 300}
DATA_CACHE_CONFIG = CACHE_CONFIG
FILTER_STATE_CACHE_CONFIG = CACHE_CONFIG
EXPLORE_FORM_DATA_CACHE_CONFIG = CACHE_CONFIG
RATELIMIT_STORAGE_URI = "memory://"

# The marts are read-only for the BI role; SQL Lab may read, never write.
PREVENT_UNSAFE_DB_CONNECTIONS = True
ROW_LIMIT = 50000

_SELF_ONLY = ["'self'"]
TALISMAN_ENABLED = True
TALISMAN_CONFIG = {
    "content_security_policy": {
        "base-uri": _SELF_ONLY,
        "default-src": _SELF_ONLY,
        "img-src": [*_SELF_ONLY, "blob:", "data:"],
        "worker-src": [*_SELF_ONLY, "blob:"],
        "connect-src": _SELF_ONLY,
        "object-src": "'none'",
        "style-src": [*_SELF_ONLY, "'unsafe-inline'"],
        "font-src": [*_SELF_ONLY, "data:"],
        "script-src": [*_SELF_ONLY, "'strict-dynamic'"],
    },
    "content_security_policy_nonce_in": ["script-src"],
    "force_https": False,
    "session_cookie_secure": False,
}

# "Latest month" filters are subqueries (month = (select max(month) ...)). Superset
# refuses them by default because a subquery can reach other tables; the BI reader
# can read the published marts only, so there is nothing further to reach.
FEATURE_FLAGS = {"ALLOW_ADHOC_SUBQUERY": True}
