"""docker-compose.yml cannot run without a Docker engine; keep it consistent with the code."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import yaml

from cvw.config import PROJECT_ROOT
from cvw.pipeline import (
    CORE_BANKING_CONN_ID,
    CRM_API_CONN_ID,
    LOADER_CONN_ID,
    MARTS_READER_CONN_ID,
    PUBLISHER_CONN_ID,
    TRANSFORMER_CONN_ID,
)

COMPOSE = yaml.safe_load((PROJECT_ROOT / "docker-compose.yml").read_text())


def _environment(service: str) -> dict[str, str]:
    return COMPOSE["services"][service]["environment"]


AIRFLOW_COMPONENTS = {
    "airflow-apiserver": ["api-server"],
    "airflow-scheduler": ["scheduler"],
    "airflow-dag-processor": ["dag-processor"],
    "airflow-worker": ["celery", "worker"],
}
# The services that talk to the Celery broker: the scheduler queues, workers consume.
ON_THE_BROKER = {"airflow-scheduler", "airflow-worker"}


def test_each_airflow_component_starts_after_a_completed_setup_on_a_healthy_database():
    services = COMPOSE["services"]
    for service, command in AIRFLOW_COMPONENTS.items():
        assert services[service]["command"] == ["airflow", *command], service
        expected = {"airflow-init": {"condition": "service_completed_successfully"}}
        if service in ON_THE_BROKER:
            expected["redis"] = {"condition": "service_healthy"}
        assert services[service]["depends_on"] == expected, service
    init = services["airflow-init"]
    assert init["depends_on"] == {"postgres": {"condition": "service_healthy"}}
    assert " ".join(init["command"]).count("airflow db migrate") == 1
    assert services["postgres"]["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]


def test_tasks_run_on_celery_workers_through_a_password_protected_redis():
    for service in AIRFLOW_COMPONENTS:
        assert _environment(service)["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", service
    environment = _environment("airflow-worker")
    broker = urlsplit(_substituted(environment["AIRFLOW__CELERY__BROKER_URL"]))
    assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)
    assert broker.password == "placeholder"
    assert "${REDIS_PASSWORD:?" in environment["AIRFLOW__CELERY__BROKER_URL"]
    redis = COMPOSE["services"]["redis"]
    assert "ports" not in redis, "the broker stays on the compose network"
    assert redis["command"][:2] == ["redis-server", "--requirepass"]
    assert redis["command"][2].startswith("${REDIS_PASSWORD:?")
    assert redis["environment"]["REDIS_PASSWORD"] == redis["command"][2]
    # The health check authenticates: without the password a ping gets no PONG.
    assert 'REDISCLI_AUTH="$$REDIS_PASSWORD"' in redis["healthcheck"]["test"][1]
    # Warm shutdown: the worker, not its process group, gets the stop signal.
    assert environment["DUMB_INIT_SETSID"] == "0"


def test_celery_results_go_to_the_airflow_metadata_database():
    environment = _environment("airflow-worker")
    backend = urlsplit(_substituted(environment["AIRFLOW__CELERY__RESULT_BACKEND"]))
    metadata = urlsplit(_substituted(environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]))
    # "db+" selects Celery's SQLAlchemy backend; psycopg2 is its PostgreSQL driver.
    assert backend.scheme == "db+postgresql+psycopg2"
    assert (backend.username, backend.hostname, backend.port, backend.path) == (
        metadata.username, metadata.hostname, metadata.port, metadata.path
    )  # fmt: skip
    assert "${AIRFLOW_DB_PASSWORD:?" in environment["AIRFLOW__CELERY__RESULT_BACKEND"]
    lock = (PROJECT_ROOT / "requirements" / "requirements.lock").read_text()
    for package in ("apache-airflow-providers-celery==", "psycopg2-binary==", "redis=="):
        assert f"\n{package}" in lock, package


def test_every_connection_the_dag_uses_is_configured():
    # Where the tasks run.
    environment = _environment("airflow-worker")
    conn_ids = (LOADER_CONN_ID, TRANSFORMER_CONN_ID, PUBLISHER_CONN_ID, MARTS_READER_CONN_ID)
    for conn_id in (*conn_ids, CORE_BANKING_CONN_ID, CRM_API_CONN_ID):
        assert f"AIRFLOW_CONN_{conn_id.upper()}" in environment
    for name in ("WAREHOUSE_HOST", "WAREHOUSE_PORT", "WAREHOUSE_USER", "WAREHOUSE_DB"):
        assert name in environment, f"dbt profile variable {name} missing"


def test_paths_in_compose_exist_in_the_repository():
    build = COMPOSE["services"]["airflow-scheduler"]["build"]
    assert (PROJECT_ROOT / build["context"] / build["dockerfile"]).is_file()
    dags_folder = _environment("airflow-scheduler")["AIRFLOW__CORE__DAGS_FOLDER"]
    assert dags_folder == "/opt/cvw/dags" and (PROJECT_ROOT / "dags").is_dir()
    for volume in COMPOSE["services"]["postgres"]["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./"):
            assert (PROJECT_ROOT / source).is_file(), source


def test_the_image_installs_the_same_lock_file():
    dockerfile = (PROJECT_ROOT / "docker" / "Dockerfile").read_text()
    assert "apache/airflow:3.3.2-python3.11" in dockerfile
    assert "--require-hashes -r /opt/cvw/requirements/requirements.lock" in dockerfile
    assert (
        "apache-airflow==3.3.2" in (PROJECT_ROOT / "requirements" / "requirements.lock").read_text()
    )


def test_the_dag_reads_the_manifest_the_image_parsed():
    dockerfile = (PROJECT_ROOT / "docker" / "Dockerfile").read_text()
    # The image runs `dbt parse` in /opt/cvw/dbt_project without a target path: target/.
    assert "WORKDIR /opt/cvw" in dockerfile and "cd dbt_project &&" in dockerfile
    assert "--target-path" not in dockerfile
    environment = _environment("airflow-scheduler")
    assert environment["CVW_DBT_TARGET_PATH"] == "/opt/cvw/dbt_project/target"


COMPOSE_TEXT = (PROJECT_ROOT / "docker-compose.yml").read_text()
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, ...
VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<operator>:?[-?+])?[^}]*\}")
SECRET_WORDS = ("PASSWORD", "TOKEN", "SECRET")


def _substituted(value: str) -> str:
    """``value`` with every variable replaced by a placeholder, as compose would fill it."""
    return VARIABLE.sub("placeholder", value)


def test_no_secret_has_a_default_and_each_must_be_set():
    secrets = [
        m for m in VARIABLE.finditer(COMPOSE_TEXT) if any(w in m["name"] for w in SECRET_WORDS)
    ]
    assert {m["name"] for m in secrets} >= {
        "POSTGRES_PASSWORD", "AIRFLOW_DB_PASSWORD", "AIRFLOW_JWT_SECRET", "CRM_API_TOKEN",
        "REDIS_PASSWORD",
    }  # fmt: skip
    for match in secrets:
        assert match["operator"] == ":?", f"{match[0]} must fail when unset, not default"


def test_every_published_port_is_on_the_loopback_interface():
    published = [
        str(port) for service in COMPOSE["services"].values() for port in service.get("ports", [])
    ]
    assert published, "the API server's port must stay published"
    for port in published:
        assert port.startswith("127.0.0.1:"), port


def test_airflow_metadata_is_apart_from_the_warehouse():
    environment = _environment("airflow-scheduler")
    metadata = urlsplit(_substituted(environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]))
    warehouse = urlsplit(_substituted(environment["WAREHOUSE_URL"]))
    core_banking = urlsplit(_substituted(environment["CORE_BANKING_URL"]))
    assert metadata.username == "airflow"
    assert metadata.username not in {"postgres", warehouse.username, core_banking.username}
    assert metadata.path == "/airflow"
    assert metadata.path not in {warehouse.path, core_banking.path}
    # Its own password too, not the superuser's.
    assert "${AIRFLOW_DB_PASSWORD:?" in environment["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    init = (PROJECT_ROOT / "docker" / "init-airflow-database.sh").read_text()
    # The password reaches psql through its environment, never as a literal.
    assert "\\getenv airflow_db_password AIRFLOW_DB_PASSWORD" in init
    assert "alter role airflow password %L', :'airflow_db_password'" in init
    assert "create database airflow owner airflow;" in init
    assert "AIRFLOW_DB_PASSWORD" in _environment("postgres")


def test_the_crm_api_and_its_connection_share_the_token():
    served = _environment("crm-api")["CRM_API_TOKEN"]
    assert served.startswith("${CRM_API_TOKEN:?")
    for service in ("airflow-worker", "airflow-scheduler", "airflow-apiserver"):
        connection = json.loads(_environment(service)["AIRFLOW_CONN_CRM_API"])
        assert connection["password"] == served
        api_url = urlsplit(_environment(service)["CRM_API_URL"])
        assert (connection["host"], connection["port"]) == (api_url.hostname, api_url.port)
        assert connection["schema"] == api_url.path.strip("/")


def test_env_example_lists_every_required_variable_without_values():
    required = {m["name"] for m in VARIABLE.finditer(COMPOSE_TEXT) if m["operator"] == ":?"}
    lines = (PROJECT_ROOT / ".env.example").read_text().splitlines()
    settings = [line for line in lines if line.strip() and not line.startswith("#")]
    assert {line.split("=", 1)[0] for line in settings} == required
    assert all(line.endswith("=") for line in settings), "no real values in .env.example"
    for ignore_file in (".gitignore", ".dockerignore"):
        assert ".env" in (PROJECT_ROOT / ignore_file).read_text().splitlines()


def test_pipeline_components_never_log_in_as_the_superuser():
    environment = _environment("airflow-worker")
    for name, value in environment.items():
        if name.startswith("AIRFLOW_CONN_") and value.startswith("postgresql://"):
            assert "postgres:" not in value.split("@")[0], name
    assert environment["WAREHOUSE_USER"] == "cvw_transformer"


def test_failure_alerts_are_optional_and_reach_every_airflow_service():
    """Tasks (on the workers) send a failed task's alert; the DAG processor runs the run's
    own callback."""
    alert_settings = {
        "ALERT_SMTP_CONN", "AIRFLOW_CONN_ALERT_SMTP", "ALERT_EMAIL_TO", "ALERT_EMAIL_FROM",
        "ALERT_WEBHOOK_URL",
    }  # fmt: skip
    for service in AIRFLOW_COMPONENTS:
        environment = _environment(service)
        for name in alert_settings:
            # Unset means no alert, never a default address, server or URL.
            assert environment[name] == f"${{{name}:-}}", (service, name)
