"""The one place where the warehouse reads its configuration.

Every setting comes from an environment variable with a default that suits the
embedded demo. A team with its own servers sets the variables (see README,
"Configuration") and nothing else changes. Business rules do not live here:
they are dbt vars and seeds in ``dbt_project/``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TypeVar
from urllib.parse import parse_qs, quote, urlsplit, urlunsplit

from cvw.credentials import crm_api_token
from cvw.roles import CORE_BANKING_READER, LOADER, PUBLISHER, TRANSFORMER

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# Flags of the nightly `dbt build` (the DAG's and the benchmark's bare build).
# dbt's unit tests are left out: they check the models' SQL on fixed fixtures,
# so their outcome changes only with the code, and they run where code is
# tested (`make test`, tests/integration/test_dbt_unit_tests.py), as dbt
# advises for production builds. Every data test still runs every night.
DBT_NIGHTLY_BUILD_FLAGS = ("--exclude-resource-type", "unit_test")
_Number = TypeVar("_Number", int, float)
# Where dbt builds the warehouse: PostgreSQL, or Apache Spark over a Parquet copy
# of the raw landings (cvw.lake). PostgreSQL keeps the landing itself either way.
ENGINES = ("postgres", "spark")
# The output of dbt_project/profiles.yml each engine builds with. The landing
# zone is PostgreSQL's on either engine, so source freshness always reads it
# through POSTGRES_TARGET.
POSTGRES_TARGET = "warehouse"
DBT_TARGETS = {"postgres": POSTGRES_TARGET, "spark": "spark"}


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    state_dir: Path
    pg_port: int
    crm_port: int
    # The administrator's URL: bootstrap, tests and the benchmark. Pipeline
    # components connect as their own roles (component_url, cvw.access).
    warehouse_url: str
    # The simulated core banking as its owner (the generator writes with it) and
    # as the read-only account the extract uses.
    core_banking_url: str
    core_banking_extract_url: str
    # The roles dbt grants the published marts to: personal columns masked for
    # the first, in clear for the second (README, "Access").
    marts_reader_role: str
    marts_pii_reader_role: str
    erp_export_dir: Path
    # How far before its watermark each core-banking extract starts reading
    # again, so rows whose change timestamp lags their commit (back-dated
    # postings, late corrections) are still landed; see cvw.watermarks.
    core_banking_lookback: timedelta
    crm_api_url: str
    crm_db_path: Path
    truth_dir: Path
    seed: int
    customers: int
    months: int
    as_of: str
    # Bounds on every CRM API call, so a misbehaving API fails the extract instead
    # of holding it forever (README, "Configuration").
    crm_request_deadline_s: float
    crm_max_pages: int
    crm_max_empty_pages: int
    crm_max_retry_after_s: float
    # Where this project's own dbt commands write the manifest Cosmos renders from.
    dbt_target_path: Path
    # Failure alerts (cvw.alerts): an e-mail through an Airflow SMTP connection,
    # a JSON POST to a webhook, both or neither. Empty means not configured.
    alert_smtp_conn_id: str
    alert_email_to: tuple[str, ...]
    alert_email_from: str
    alert_webhook_url: str
    alert_webhook_timeout_s: float
    # Where each publish's monthly finance pack (Excel workbook) is written.
    finance_pack_dir: Path
    # The engine dbt builds on (ENGINES) and, for Spark, the Parquet copy of the
    # raw landings it reads (cvw.lake).
    engine: str
    lake_dir: Path
    # The heap of each local Spark process (dbt's, the gate's, the publish's):
    # Spark's default of 1g spills the bank-size joins to disk at every stage.
    spark_driver_memory: str

    @property
    def embedded(self) -> bool:
        """True when the warehouse is the embedded server this project starts."""
        return "WAREHOUSE_URL" not in os.environ

    @property
    def passfile(self) -> Path:
        """The libpq password file of the embedded server's roles (cvw.access)."""
        return self.state_dir / "secrets" / "pgpass"

    @property
    def warehouse_database(self) -> str:
        return urlsplit(self.warehouse_url).path.lstrip("/") or "warehouse"

    @property
    def core_banking_database(self) -> str:
        return urlsplit(self.core_banking_url).path.lstrip("/") or "core_banking"

    @property
    def core_banking_owner(self) -> str:
        return urlsplit(self.core_banking_url).username or "postgres"

    def component_url(self, role: str) -> str:
        """The warehouse as one component's role; its password comes from the passfile."""
        return with_user(self.warehouse_url, role)

    @property
    def pgdata(self) -> Path:
        return self.state_dir / "pgdata"

    @property
    def airflow_home(self) -> Path:
        return self.state_dir / "airflow"

    # Every runtime file lives under the state directory: two users of one machine,
    # or the demo and the tests, each have their own and never write into the
    # other's (a folder one user creates under the shared temp dir is read-only to
    # the next, and a shared dbt target would mix two projects' manifests).
    @property
    def dbt_log_path(self) -> Path:
        return self.state_dir / "dbt" / "logs"

    @property
    def dbt_docs_path(self) -> Path:
        """The dbt docs site (``make docs``), apart from the manifest Cosmos renders from."""
        return self.state_dir / "dbt" / "docs"

    @property
    def cosmos_cache_dir(self) -> Path:
        return self.state_dir / "cosmos"

    @property
    def temp_dir(self) -> Path:
        """The temp dir of Airflow processes: Cosmos' project copies, dbt scratch targets."""
        return self.state_dir / "tmp"

    @property
    def airflow_log_dir(self) -> Path:
        return self.airflow_home / "logs"

    @property
    def dbt_target(self) -> str:
        return DBT_TARGETS[self.engine]

    @property
    def spark_dir(self) -> Path:
        """Spark's warehouse and Derby metastore: one Spark process at a time may open them."""
        return self.state_dir / "spark"

    def finance_pack_path(self, logical_date: date) -> Path:
        """The finance pack of one logical date; a rerun of the date replaces it."""
        return self.finance_pack_dir / f"finance_pack_{logical_date.isoformat()}.xlsx"

    def runtime_dirs(self) -> list[Path]:
        """The folders the tools expect to exist (an absent TMPDIR is silently ignored)."""
        return [
            self.airflow_home,
            self.airflow_log_dir,
            self.dbt_target_path,
            self.dbt_log_path,
            self.cosmos_cache_dir,
            self.temp_dir,
        ]


def load_settings() -> Settings:
    # Source exports, the CRM store, truth files, logs and secrets all carry
    # personal data or credentials: every process that works on this
    # installation creates its files for its owner only (0600 / 0700).
    os.umask(0o077)
    state_dir = Path(_env("CVW_STATE_DIR", str(PROJECT_ROOT / ".state"))).resolve()
    # Below 32768, outside Linux's ephemeral range: a port in that range can be
    # held by any outgoing connection at the moment a server binds it.
    pg_port = int(_env("CVW_PG_PORT", "25432"))
    crm_port = int(_env("CVW_CRM_PORT", "28080"))
    # Passwords are never part of a URL: libpq reads them from the passfile.
    passfile = quote(str(state_dir / "secrets" / "pgpass"), safe="/")
    warehouse_url = _env(
        "WAREHOUSE_URL", f"postgresql://postgres@127.0.0.1:{pg_port}/warehouse?passfile={passfile}"
    )
    core_banking_url = _env("CORE_BANKING_URL", sibling_database_url(warehouse_url, "core_banking"))
    return Settings(
        state_dir=state_dir,
        pg_port=pg_port,
        crm_port=crm_port,
        warehouse_url=warehouse_url,
        # By default the simulated core banking lives on the warehouse's server.
        core_banking_url=core_banking_url,
        core_banking_extract_url=_env(
            "CORE_BANKING_EXTRACT_URL", with_user(core_banking_url, CORE_BANKING_READER)
        ),
        marts_reader_role=_env("MARTS_READER_ROLE", "cvw_bi_reader"),
        marts_pii_reader_role=_env("MARTS_PII_READER_ROLE", "cvw_pii_reader"),
        erp_export_dir=Path(_env("ERP_EXPORT_DIR", str(state_dir / "sources" / "erp_exports"))),
        core_banking_lookback=timedelta(days=float(_env("CORE_BANKING_LOOKBACK_DAYS", "3"))),
        crm_api_url=_env("CRM_API_URL", f"http://127.0.0.1:{crm_port}/api/v1"),
        crm_db_path=Path(_env("CRM_DB_PATH", str(state_dir / "sources" / "crm.sqlite3"))),
        truth_dir=Path(_env("CVW_TRUTH_DIR", str(state_dir / "sources" / "truth"))),
        seed=int(_env("CVW_SEED", "42")),
        customers=int(_env("CVW_CUSTOMERS", "1000")),
        months=int(_env("CVW_MONTHS", "13")),
        as_of=_env("CVW_AS_OF", "2026-10-31"),
        # A 500-record page takes well under a second; two minutes only trips on a
        # stalled or trickling response.
        crm_request_deadline_s=_positive("CVW_CRM_REQUEST_DEADLINE_S", "120", float),
        # 20,000 pages of 500 records is ten million changes to one table in one
        # night, far beyond a bank's CRM; more means the API is paging in circles.
        crm_max_pages=_positive("CVW_CRM_MAX_PAGES", "20000", int),
        # A keyset page is empty only at the end; a run of empty pages that still
        # point to a next one is an API that never finishes.
        crm_max_empty_pages=_positive("CVW_CRM_MAX_EMPTY_PAGES", "20", int),
        # Waiting out a short rate limit beats failing the night; a longer one is
        # a maintenance window the run should report, not sleep through.
        crm_max_retry_after_s=_positive("CVW_CRM_MAX_RETRY_AFTER_S", "120", float),
        # An image that ships a parsed manifest points this at it.
        dbt_target_path=Path(_env("CVW_DBT_TARGET_PATH", str(state_dir / "dbt" / "target"))),
        alert_smtp_conn_id=_env("ALERT_SMTP_CONN", ""),
        alert_email_to=tuple(
            address.strip()
            for address in _env("ALERT_EMAIL_TO", "").replace(";", ",").split(",")
            if address.strip()
        ),
        # Empty: the sender is the SMTP connection's `from_email` extra.
        alert_email_from=_env("ALERT_EMAIL_FROM", ""),
        alert_webhook_url=_env("ALERT_WEBHOOK_URL", ""),
        # An alert is sent while the run is being failed: a webhook that hangs
        # must not hold the callback (and the next alert) for long.
        alert_webhook_timeout_s=_positive("ALERT_WEBHOOK_TIMEOUT_S", "10", float),
        finance_pack_dir=Path(_env("CVW_FINANCE_PACK_DIR", str(state_dir / "finance_packs"))),
        engine=_choice("CVW_ENGINE", "postgres", ENGINES),
        lake_dir=Path(_env("CVW_LAKE_DIR", str(state_dir / "lake"))).resolve(),
        spark_driver_memory=_env("CVW_SPARK_DRIVER_MEMORY", "4g"),
    )


def _choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = _env(name, default).lower()
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def _positive(name: str, default: str, kind: type[_Number]) -> _Number:
    raw = _env(name, default)
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or value <= 0:
        raise ValueError(f"{name} must be a positive {kind.__name__}, got {raw!r}")
    return value


def sibling_database_url(url: str, database: str) -> str:
    """The URL of another database on the same server."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, ""))


def with_user(url: str, user: str, database: str | None = None) -> str:
    """The same server (and query, e.g. the passfile) as another role, without a password."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{user}@{host}" + (f":{parts.port}" if parts.port else "")
    path = f"/{database}" if database else parts.path
    return urlunsplit((parts.scheme, netloc, path, parts.query, ""))


def dbt_env(url: str) -> dict[str, str]:
    """The variables ``dbt_project/profiles.yml`` reads, derived from a warehouse URL."""
    parts = urlsplit(url)
    passfile = parse_qs(parts.query).get("passfile")
    return {
        "WAREHOUSE_HOST": parts.hostname or "127.0.0.1",
        "WAREHOUSE_PORT": str(parts.port or 5432),
        "WAREHOUSE_USER": parts.username or "postgres",
        "WAREHOUSE_PASSWORD": parts.password or "",
        "WAREHOUSE_DB": parts.path.lstrip("/") or "warehouse",
        # dbt's profile has no passfile option; libpq takes it from the environment.
        **({"PGPASSFILE": passfile[0]} if passfile else {}),
    }


def spark_conf(settings: Settings) -> dict[str, str]:
    """The Spark settings of every Spark process of this installation (dbt's and the tests').

    The warehouse and the Derby metastore live under the state directory, not in
    the working directory: Derby admits one process per metastore, so two
    installations, or the demo and the tests, must not share one. Timestamps are
    read and written in UTC, as the landings and PostgreSQL's ``timestamptz`` are.
    """
    metastore = settings.spark_dir / "metastore_db"
    return {
        "spark.sql.warehouse.dir": str(settings.spark_dir / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={metastore};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={settings.spark_dir}",
        # Read when the process starts its JVM (local mode: the driver is the executor).
        "spark.driver.memory": settings.spark_driver_memory,
        "spark.sql.session.timeZone": "UTC",
        # Derby cannot filter partitions by a date column (Spark raises
        # INTERNAL_ERROR_HIVE_METASTORE_PARTITION_FILTER on `_logical_date = date
        # '...'`); with the fallback Spark lists the partitions and filters them.
        "spark.sql.hive.metastorePartitionPruningFallbackOnException": "true",
        # Local mode has a few cores: Spark's default of 200 shuffle partitions
        # makes every join, window and test query schedule 200 tiny tasks.
        "spark.sql.shuffle.partitions": "8",
        "spark.ui.enabled": "false",
        # Progress bars are carriage-return lines in task logs and test output.
        "spark.ui.showConsoleProgress": "false",
        # Decimal products and quotients keep their full scale (up to 38
        # digits), as PostgreSQL's numeric does: with precision loss allowed,
        # Spark cuts a wide result's scale to 6 digits, and an amount on a half
        # cent then rounds a cent away from PostgreSQL's. A result that does not
        # fit 38 digits is null in this mode; the marts' amounts are far below.
        "spark.sql.decimalOperations.allowPrecisionLoss": "false",
    }


def spark_env(settings: Settings) -> dict[str, str]:
    """The variables the ``spark`` output of ``dbt_project/profiles.yml`` reads."""
    conf = spark_conf(settings)
    return {
        "CVW_LAKE_DIR": str(settings.lake_dir),
        "SPARK_WAREHOUSE_DIR": conf["spark.sql.warehouse.dir"],
        "SPARK_METASTORE_URL": conf["spark.hadoop.javax.jdo.option.ConnectionURL"],
        "SPARK_DRIVER_JAVA_OPTIONS": conf["spark.driver.extraJavaOptions"],
        "SPARK_DRIVER_MEMORY": conf["spark.driver.memory"],
        "SPARK_SHUFFLE_PARTITIONS": conf["spark.sql.shuffle.partitions"],
        "SPARK_DECIMAL_ALLOW_PRECISION_LOSS": conf[
            "spark.sql.decimalOperations.allowPrecisionLoss"
        ],
    }


def airflow_env(settings: Settings) -> dict[str, str]:
    """Environment for Airflow processes: connections, home, and quiet defaults."""
    crm = urlsplit(settings.crm_api_url)
    return {
        # The DAG file reads the state directory to find the dbt manifest.
        "CVW_STATE_DIR": str(settings.state_dir),
        "AIRFLOW_HOME": str(settings.airflow_home),
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(settings.airflow_log_dir),
        "AIRFLOW__COSMOS__CACHE_DIR": str(settings.cosmos_cache_dir),
        # Cosmos runs dbt in a copy of the project under the temp dir and reads its
        # artifacts from that copy's target/, so DBT_TARGET_PATH must stay unset here;
        # moving the temp dir keeps those copies under the state directory instead.
        "TMPDIR": str(settings.temp_dir),
        "DBT_LOG_PATH": str(settings.dbt_log_path),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "DO_NOT_TRACK": "1",
        "GX_ANALYTICS_ENABLED": "false",
        "AIRFLOW_CONN_WAREHOUSE_LOADER": settings.component_url(LOADER),
        "AIRFLOW_CONN_WAREHOUSE_TRANSFORMER": settings.component_url(TRANSFORMER),
        "AIRFLOW_CONN_WAREHOUSE_PUBLISHER": settings.component_url(PUBLISHER),
        # The finance pack reads the published marts as BI does, names masked.
        "AIRFLOW_CONN_WAREHOUSE_MARTS_READER": settings.component_url(settings.marts_reader_role),
        "AIRFLOW_CONN_CORE_BANKING": settings.core_banking_extract_url,
        # dbt's driver reads the embedded roles' passwords from here too.
        **({"PGPASSFILE": str(settings.passfile)} if settings.embedded else {}),
        "MARTS_READER_ROLE": settings.marts_reader_role,
        "MARTS_PII_READER_ROLE": settings.marts_pii_reader_role,
        # JSON rather than a URI, so the token needs no escaping.
        "AIRFLOW_CONN_CRM_API": json.dumps(
            {
                "conn_type": crm.scheme or "http",
                "host": crm.hostname,
                "port": crm.port or (443 if crm.scheme == "https" else 80),
                "schema": crm.path.strip("/"),
                "password": crm_api_token(settings.state_dir),
            }
        ),
        "ERP_EXPORT_DIR": str(settings.erp_export_dir),
        "CVW_FINANCE_PACK_DIR": str(settings.finance_pack_dir),
        **dbt_env(settings.component_url(TRANSFORMER)),
        "CVW_ENGINE": settings.engine,
        # Every dbt command of the run (parse, the build) builds on the engine's target.
        "DBT_TARGET": settings.dbt_target,
        **spark_env(settings),
    }


if __name__ == "__main__":
    # `eval "$(python -m cvw.config)"` prepares a shell for airflow and dbt commands.
    import shlex

    settings = load_settings()
    for folder in settings.runtime_dirs():
        folder.mkdir(parents=True, exist_ok=True)
    for name, value in airflow_env(settings).items():
        print(f"export {name}={shlex.quote(value)}")
